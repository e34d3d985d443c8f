#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Turns the subset of Markdown our man-page sources use into man(7) roff:
#   "# name(S) -- summary" title; "## SECTION"; paragraphs; "- " bullets; "term" + ": definition"
#   lists; `code` and **bold** become bold. Usage: md2man.sh FILE.md > FILE.S
set -eu
awk '
function inline(s) {
  gsub(/\\/, "\\e", s)
  while (match(s, /`[^`]*`/)) s = substr(s, 1, RSTART - 1) "\\fB" substr(s, RSTART + 1, RLENGTH - 2) "\\fR" substr(s, RSTART + RLENGTH)
  while (match(s, /\*\*[^*]*\*\*/)) s = substr(s, 1, RSTART - 1) "\\fB" substr(s, RSTART + 2, RLENGTH - 4) "\\fR" substr(s, RSTART + RLENGTH)
  if (s ~ /^[.\047]/) s = "\\&" s
  return s
}
NR == 1 {
  if (!match($0, /^# [^ (]+\([0-9]\) -- /)) { print "md2man: line 1 must be: # name(S) -- summary" > "/dev/stderr"; exit 2 }
  t = substr($0, 3); name = t; sub(/\(.*/, "", name); sec = t; sub(/^[^(]*\(/, "", sec); sub(/\).*/, "", sec)
  summary = substr(t, index(t, " -- ") + 4)
  manual = sec == 1 ? "User Commands" : "System Administration"
  printf ".TH %s %s \"\" \"xen-pcisplit\" \"%s\"\n.SH NAME\n%s \\- %s\n", toupper(name), sec, manual, name, inline(summary)
  next
}
/^## / { print ".SH \"" substr($0, 4) "\""; pending = ""; next }
/^$/ { if (pending != "") { print ".PP"; print inline(pending); pending = "" } next }
/^: / {
  print ".TP"; print inline(pending); pending = ""; print inline(substr($0, 3)); next
}
/^- / { if (pending != "") { print ".PP"; print inline(pending); pending = "" } print ".IP \\(bu 2"; print inline(substr($0, 3)); next }
/^  / { sub(/^ +/, ""); print inline($0); next }
{ pending = pending == "" ? $0 : pending " " $0 }
END { if (pending != "") { print ".PP"; print inline(pending) } }
' "$1"
