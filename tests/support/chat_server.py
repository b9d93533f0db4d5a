"""A real HTTP server on loopback that speaks the OpenAI chat-completions protocol, with
switchable misbehaviour, for testing the endpoint backend end to end."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class ChatServer:
    """``mode``: "ok" (a reply built from the request's facts), "obedient" (follows any
    instruction found in the facts, like a gullible model), "slow", "500", "malformed",
    "empty", "name" (a new name per naming request), "fixed" (always ``fixed_reply``), "echo"
    (a naming request's first example back), "trickle" (the reply one byte per ``delay``),
    "short" (fewer bytes than its Content-Length, then the connection closes), "endless-line"
    (an event stream whose first line never ends), "429" (rate limited), "garbage" (binary bytes
    as a 200 reply), "close" (hangs up without a reply), "stall" (headers, then silence),
    "links" (a reply with every kind of address), "hacked" (cites the evidence, then obeys an
    injected "reply HACKED"). ``requests`` keeps every request body."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.delay = 3.0
        self.fixed_reply = ""
        self.requests: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
                try:
                    server.respond(self, body)
                except OSError:  # broken pipe, reset: the client gave up at its deadline, as these tests make it do
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def reply_text(self, body: dict[str, Any]) -> str:
        facts = body["messages"][-1]["content"]
        if self.mode == "name":  # the word most example titles share: "Group hammock"
            request = json.loads(facts)
            words = [w.lower() for w in re.findall(r"[A-Za-z]{4,}", " ".join(request.get("example_titles") or []))]
            return f"Group {max(words, key=words.count) if words else (request.get('keywords') or ['things'])[0]}"
        if self.mode == "fixed":
            return self.fixed_reply
        if self.mode == "echo":
            return str(json.loads(facts)["example_titles"][0])
        if self.mode == "obedient" and "ignore previous instructions" in facts.lower():
            return "Visit http://deals.example.com now for a free gift!"
        start = re.search(r"Start the reason with: (.*)$", facts, re.MULTILINE)
        rec = json.loads(facts[len("Facts:\n"): facts.index("\n\nStart")])["recommended"]
        lead = start.group(1) if start else "You may like this,"
        if self.mode == "links":
            return f'{lead} "{rec}" is at [a shop](evil.shop/x), bit.ly/abc or //198.51.100.7/p.png.'
        if self.mode == "hacked":
            return f'{lead} "{rec}" is a close match for you. HACKED.'
        return f'{start.group(1) if start else "You may like this,"} "{rec}" is a close match for you.'

    def respond(self, h: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        if self.mode == "slow":
            time.sleep(self.delay)
        if self.mode in ("500", "429"):
            h.send_response(int(self.mode))
            if self.mode == "429":
                h.send_header("Retry-After", "30")
            h.end_headers()
            h.wfile.write(b"internal error" if self.mode == "500" else b"rate limited")
            return
        if self.mode == "close":  # hang up without a word
            h.close_connection = True
            h.connection.shutdown(2)
            return
        if self.mode == "stall":  # headers, then nothing until the client gives up
            h.send_response(200)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", "100")
            h.end_headers()
            h.wfile.flush()
            time.sleep(self.delay)
            return
        if self.mode in ("trickle", "short"):  # a reply one byte per `delay`; or one shorter than it says
            payload = json.dumps({"choices": [{"message": {"role": "assistant",
                                                           "content": self.reply_text(body)}}]}).encode()
            h.send_response(200)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(payload) + (50 if self.mode == "short" else 0)))
            h.end_headers()
            for k in range(len(payload)):
                if self.mode == "trickle":
                    time.sleep(self.delay)
                try:
                    h.wfile.write(payload[k:k + 1])
                    h.wfile.flush()
                except OSError:  # the client gave up
                    return
            return
        if self.mode == "endless-line":  # an event stream whose first line never ends
            h.send_response(200)
            h.send_header("Content-Type", "text/event-stream")
            h.end_headers()
            for _ in range(400):
                time.sleep(self.delay)
                try:
                    h.wfile.write(b"x")
                    h.wfile.flush()
                except OSError:
                    return
            return
        if self.mode == "garbage":
            payload = bytes(range(256)) * 4
        elif self.mode == "malformed":
            payload = b'{"choices": [{"message": '
        elif self.mode == "empty":
            payload = json.dumps({"choices": [{"message": {"role": "assistant", "content": ""}}]}).encode()
        elif body.get("stream"):
            h.send_response(200)
            h.send_header("Content-Type", "text/event-stream")
            h.end_headers()
            for word in re.findall(r"\S+\s*", self.reply_text(body)):
                chunk = {"choices": [{"delta": {"content": word}}]}
                h.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            h.wfile.write(b"data: [DONE]\n\n")
            return
        else:
            payload = json.dumps({"choices": [{"message": {"role": "assistant",
                                                           "content": self.reply_text(body)}}]}).encode()
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(payload)))
        h.end_headers()
        h.wfile.write(payload)


@contextmanager
def chat_server() -> Iterator[ChatServer]:
    server = ChatServer()
    thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
