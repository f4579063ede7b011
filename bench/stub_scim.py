#!/usr/bin/env python3
"""A minimal in-memory SCIM endpoint for measuring the *client*: every request the load cycle
sends is answered in constant time (a dict per resource type, userName/displayName indexed), so
`scim-harness load --users 100000` finishes in minutes and its own memory can be read.
It is not a reference server: no schemas, no PATCH semantics beyond accepting them.

Usage: stub_scim.py PORT TOKEN   (listens on 127.0.0.1 only)
"""
import json
import socket
import sys
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

PORT, TOKEN = int(sys.argv[1]), sys.argv[2]
STORE = {"Users": {}, "Groups": {}}
NAMES = {"Users": {}, "Groups": {}}
NAME_ATTR = {"Users": "userName", "Groups": "displayName"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        # Headers and body go out in two writes; without this, Nagle plus delayed ACKs add 40 ms.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, *args):
        pass

    def reply(self, status, body=None):
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "application/scim+json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def route(self):
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self.reply(401, {"status": "401"})
            return None
        url = urlsplit(self.path)
        parts = [p for p in url.path.split("/") if p]
        kind = next((p for p in parts if p in STORE), None)
        if kind is None:
            self.reply(404, {"status": "404"})
            return None
        rid = parts[-1] if parts[-1] != kind else None
        return kind, rid, parse_qs(url.query)

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"{}")

    def do_GET(self):
        routed = self.route()
        if routed is None:
            return
        kind, rid, query = routed
        if rid is not None:
            found = STORE[kind].get(rid)
            self.reply(200 if found else 404, found or {"status": "404"})
            return
        value = query.get("filter", [""])[0].split(" eq ", 1)[-1].strip('"').lower()
        rid = NAMES[kind].get(value)
        hits = [STORE[kind][rid]] if rid else []
        self.reply(200, {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
            "totalResults": len(hits), "startIndex": 1, "itemsPerPage": len(hits),
            "Resources": hits,
        })

    def do_POST(self):
        routed = self.route()
        if routed is None:
            return
        kind = routed[0]
        resource = self.body()
        name = str(resource.get(NAME_ATTR[kind], "")).lower()
        if name in NAMES[kind]:
            self.reply(409, {"status": "409", "scimType": "uniqueness"})
            return
        rid = uuid.uuid4().hex
        resource["id"] = rid
        STORE[kind][rid] = resource
        NAMES[kind][name] = rid
        self.reply(201, resource)

    def do_PATCH(self):
        routed = self.route()
        if routed is None:
            return
        kind, rid, _ = routed
        self.body()
        self.reply(204 if rid in STORE[kind] else 404)

    def do_DELETE(self):
        routed = self.route()
        if routed is None:
            return
        kind, rid, _ = routed
        resource = STORE[kind].pop(rid, None)
        if resource is None:
            self.reply(404, {"status": "404"})
            return
        NAMES[kind].pop(str(resource.get(NAME_ATTR[kind], "")).lower(), None)
        self.reply(204)


ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
