def is_goals_workbook(path):
    return False
def read_goals_workbook(path, **kw):
    raise NotImplementedError
