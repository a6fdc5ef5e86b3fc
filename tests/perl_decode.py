"""A second decoder for the mail perfsheet writes: Perl's Encode (``decode("MIME-Header", …)``), with
RFC 2231 parameters undone by hand, as every Debian perl can. Nothing here uses Python's email package.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

# Reads each file named on the command line; prints one JSON object per file: the decoded From, To,
# Cc, Subject and every attachment's filename (Content-Disposition, RFC 2231) and name (Content-Type,
# RFC 2047), in order.
_SCRIPT = r"""
use strict; use warnings; use Encode qw(decode encode); use JSON::PP;
sub unfold { my $t = shift; $t =~ s/\r?\n[ \t]+/ /g; $t =~ s/\r?\n[ \t]*/ /g; return $t; }
sub headers {
    my $block = shift; my %h; my @order;
    $block =~ s/\r?\n[ \t]+/ /g;
    for my $line (split /\r?\n/, $block) {
        next unless $line =~ /^([!-9;-~]+):[ \t]*(.*)$/;
        push @{ $h{lc $1} }, $2;
    }
    return \%h;
}
sub rfc2231 {
    my ($value) = @_;
    # charset''percent-encoded, possibly in key*0*=..., key*1*=... pieces (already joined by caller)
    $value =~ s/^([^']*)'[^']*'//; my $charset = $1 || 'UTF-8';
    $value =~ s/%([0-9A-Fa-f]{2})/chr(hex($1))/ge;
    return decode($charset, $value);
}
sub param {
    my ($header, $key) = @_;
    return undef unless defined $header;
    my %pieces; my $plain;
    while ($header =~ /;\s*\Q$key\E(\*(\d+))?(\*)?=("((?:[^"\\]|\\.)*)"|[^;\s]+)/gi) {
        my ($n, $ext) = (defined $2 ? $2 : -1, $3);
        my $v = defined $5 ? $5 : $4;
        if ($n < 0 && !$ext) { $plain = $v; next; }
        $pieces{$n < 0 ? 0 : $n} = [$v, $ext];
    }
    if (%pieces) {
        my $joined = join '', map { $pieces{$_}[0] } sort { $a <=> $b } keys %pieces;
        return rfc2231($joined);
    }
    return defined $plain ? decode('MIME-Header', $plain) : undef;
}
my @out;
for my $file (@ARGV) {
    open my $fh, '<:raw', $file or die "$file: $!"; local $/; my $data = <$fh>; close $fh;
    my ($head, $body) = split /\r?\n\r?\n/, $data, 2;
    my $h = headers($head);
    my %r;
    for my $k (qw(from to cc subject reply-to)) {
        $r{$k} = defined $h->{$k} ? decode('MIME-Header', $h->{$k}[0]) : undef;
    }
    my (@filenames, @names);
    my ($boundary) = ($h->{'content-type'}[0] // '') =~ /boundary="?([^";]+)"?/i;
    if (defined $boundary) {
        for my $part (split /\r?\n--\Q$boundary\E/, $body) {
            my ($ph) = split /\r?\n\r?\n/, $part, 2;
            my $p = headers($ph // '');
            next unless $p->{'content-disposition'};
            push @filenames, param($p->{'content-disposition'}[0], 'filename');
            push @names, param($p->{'content-type'}[0], 'name');
        }
    }
    $r{filenames} = \@filenames; $r{names} = \@names;
    push @out, \%r;
}
print JSON::PP->new->canonical->encode(\@out);
"""


def perl_decode(paths: list[Path]) -> list[dict[str, object]]:
    """The headers and attachment names of .eml files as Perl decodes them."""
    if shutil.which("perl") is None:
        pytest.fail("perl is needed as the second decoder (it is in every Debian base system)")
    out = subprocess.run(
        ["perl", "-e", _SCRIPT, *map(str, paths)], capture_output=True, check=True
    ).stdout
    return list(json.loads(out.decode("utf-8")))
