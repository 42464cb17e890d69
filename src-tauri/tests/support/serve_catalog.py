#!/usr/bin/python3
"""Serves a one-model catalog over HTTP on 127.0.0.1, as the model hub would.

Usage: serve_catalog.py DIR MODEL_DIR ID
Packs MODEL_DIR's files into DIR/<ID>.tar.bz2 under one top folder (the sherpa-onnx layout),
writes DIR/catalog.toml (ID the default, archive and files pinned by size and SHA-256, the URL
on this server), serves DIR, and prints the port once listening.
"""
import functools
import hashlib
import http.server
import os
import sys
import tarfile

out, model_dir, model_id = sys.argv[1], sys.argv[2], sys.argv[3]
server = http.server.ThreadingHTTPServer(
    ("127.0.0.1", 0),
    functools.partial(http.server.SimpleHTTPRequestHandler, directory=out),
)
port = server.server_address[1]


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


archive = os.path.join(out, f"{model_id}.tar.bz2")
names = sorted(os.listdir(model_dir))
with tarfile.open(archive, "w:bz2") as tar:
    for name in names:
        tar.add(os.path.join(model_dir, name), arcname=f"sherpa-onnx-{model_id}/{name}")
files = ",\n    ".join(
    f'{{ name = "{n}", size = {os.path.getsize(os.path.join(model_dir, n))}, '
    f'sha256 = "{sha256(os.path.join(model_dir, n))}" }}'
    for n in names
)
with open(os.path.join(out, "catalog.toml"), "w") as f:
    f.write(
        f'default = "{model_id}"\n'
        f'release_prefix = "http://127.0.0.1:{port}/"\n\n'
        f"[[model]]\n"
        f'id = "{model_id}"\n'
        f'name = "Tiny test model"\n'
        f'description = "A tiny random-weight transducer for tests."\n'
        f'license = "Apache-2.0"\n'
        f'url = "http://127.0.0.1:{port}/{model_id}.tar.bz2"\n'
        f"archive_size = {os.path.getsize(archive)}\n"
        f'archive_sha256 = "{sha256(archive)}"\n'
        f"files = [\n    {files},\n]\n"
    )
print(port, flush=True)
server.serve_forever()
