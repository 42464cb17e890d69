#!/usr/bin/python3
"""A text target for the desktop end-to-end tests: one GTK entry in a window titled TITLE.

Every change of the entry's text is written (UTF-8, whole text) to OUT, atomically, so the
test can read exactly what reached the app. Run with the system python (python3-gi).
Usage: text_target.py TITLE OUT
"""
import os
import sys

import gi

gi.require_version("Gtk", "3.0")
from gi.repository import Gtk  # noqa: E402

title, out = sys.argv[1], sys.argv[2]


def save(entry):
    tmp = out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(entry.get_text())
    os.replace(tmp, out)


window = Gtk.Window(title=title)
window.set_default_size(600, 80)
entry = Gtk.Entry()
entry.connect("changed", save)
window.add(entry)
window.connect("destroy", Gtk.main_quit)
window.show_all()
save(entry)
Gtk.main()
