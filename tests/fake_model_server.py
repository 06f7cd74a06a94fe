"""A local fake OpenAI-compatible chat server on 127.0.0.1 for fault tests.

Modes: "500", "429" (HTTP errors), "drop" (close the connection without answering), "slow"
(answer after `delay` seconds), "garbage" (always a tool call with invalid arguments).
Every request body is recorded.
"""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeModelServer:
    def __init__(self, mode: str, delay: float = 5.0):
        self.mode = mode
        self.delay = delay
        self.requests: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                server.requests.append(json.loads(body or b"{}"))
                server.answer(self, json.loads(body or b"{}"))

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self) -> "FakeModelServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def answer(self, h: BaseHTTPRequestHandler, request: dict[str, Any]) -> None:
        if self.mode in ("500", "429"):
            payload = json.dumps({"error": {"message": f"fake {self.mode}", "code": self.mode}})
            h.send_response(int(self.mode))
            h.send_header("content-type", "application/json")
            h.send_header("retry-after", "0")
            h.end_headers()
            h.wfile.write(payload.encode())
        elif self.mode == "drop":
            h.close_connection = True
            h.connection.close()
        elif self.mode == "slow":
            time.sleep(self.delay)
            self._send(h, {"role": "assistant", "content": "too late"})
        elif self.mode == "garbage":
            tool = next(iter(request.get("tools", [])), {"function": {"name": "nothing"}})
            self._send(
                h,
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": f"call_{len(self.requests)}",
                            "type": "function",
                            "function": {
                                "name": tool["function"]["name"],
                                "arguments": '{"metric": {"nested": [1, 2]}, "minutes": "soon"}',
                            },
                        }
                    ],
                },
            )
        else:
            raise ValueError(self.mode)

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, message: dict[str, Any]) -> None:
        payload = json.dumps(
            {
                "id": "fake-1",
                "object": "chat.completion",
                "created": 0,
                "model": "anthropic/claude-sonnet-4-5",
                "provider": "Fake",
                "choices": [
                    {
                        "index": 0,
                        "message": message,
                        "finish_reason": "tool_calls" if message.get("tool_calls") else "stop",
                    }
                ],
                "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
            }
        ).encode()
        h.send_response(200)
        h.send_header("content-type", "application/json")
        h.send_header("content-length", str(len(payload)))
        h.end_headers()
        h.wfile.write(payload)
