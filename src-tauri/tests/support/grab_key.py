#!/usr/bin/python3
"""Grabs Ctrl+Alt+Space on the X display, as another app holding that shortcut would, until
killed. Prints "grabbed" once the grab is in place. Plain libX11 through ctypes."""
import ctypes
import ctypes.util
import sys
import time

x11 = ctypes.cdll.LoadLibrary(ctypes.util.find_library("X11"))
x11.XOpenDisplay.restype = ctypes.c_void_p
x11.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
x11.XDefaultRootWindow.restype = ctypes.c_ulong
x11.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
x11.XStringToKeysym.restype = ctypes.c_ulong
x11.XGrabKey.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint, ctypes.c_ulong,
                         ctypes.c_int, ctypes.c_int, ctypes.c_int]
x11.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]

display = x11.XOpenDisplay(None)
if not display:
    sys.exit("cannot open the X display")
root = x11.XDefaultRootWindow(display)
keycode = x11.XKeysymToKeycode(display, x11.XStringToKeysym(b"space"))
CONTROL, MOD1, LOCK, MOD2 = 1 << 2, 1 << 3, 1 << 1, 1 << 4
# Every Caps Lock / Num Lock variant, as hotkey libraries grab them.
for extra in (0, LOCK, MOD2, LOCK | MOD2):
    x11.XGrabKey(display, keycode, CONTROL | MOD1 | extra, root, 1, 1, 1)
x11.XSync(display, 0)
print("grabbed", flush=True)
while True:
    time.sleep(1)
