"""Load generator: a fixed number of GET requests over keep-alive connections from threads.

Run as its own process by ``benchmarks/load.py``; reads a JSON job on stdin and prints a JSON
summary on stdout::

    {"port": 8123, "paths": ["/a", "/b"], "requests": 2000, "concurrency": 8,
     "headers": {"Authorization": "Bearer ..."}, "login": {"email": ..., "password": ...}}

``paths`` are taken in turn; ``login`` (optional) logs in through the login form first and
sends the session cookie with every request, as a browser does. Every answer other than 200
counts as an error.
"""
from __future__ import annotations

import http.client
import itertools
import json
import re
import sys
import threading
import time
from urllib.parse import urlencode

import numpy as np

HOST = "127.0.0.1"


def _cookie_header(response: http.client.HTTPResponse, cookies: dict) -> dict:
    for value in response.headers.get_all("Set-Cookie") or []:
        name, _, rest = value.partition("=")
        cookies[name.strip()] = rest.split(";", 1)[0]
    return cookies


def login(port: int, email: str, password: str, headers: dict) -> str:
    """Log in through the form as a browser does; return the ``Cookie`` header to send."""
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    cookies: dict = {}
    conn.request("GET", "/login", headers=headers)
    response = conn.getresponse()
    page = response.read().decode()
    _cookie_header(response, cookies)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    form = {"email": email, "password": password}
    if match:
        form["csrf_token"] = match.group(1)
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    conn.request("POST", "/login", body=urlencode(form), headers={
        **headers, "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
    response = conn.getresponse()
    response.read()
    if response.status != 302:
        raise SystemExit(f"login failed: {response.status}")
    _cookie_header(response, cookies)
    # Follow the redirect, as a browser would: it shows (and clears) the "logged in" message.
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    conn.request("GET", response.headers["Location"], headers={**headers, "Cookie": cookie})
    response = conn.getresponse()
    response.read()
    _cookie_header(response, cookies)
    conn.close()
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


def run(job: dict) -> dict:
    """Send ``job['requests']`` requests with ``job['concurrency']`` threads; summarise them."""
    headers = dict(job.get("headers") or {})
    if job.get("login"):
        headers["Cookie"] = login(job["port"], job["login"]["email"], job["login"]["password"],
                                  headers)
    paths = job["paths"]
    tickets = itertools.count()
    total = job["requests"]
    latencies = np.zeros(total)
    errors: list[str] = []
    reconnects = itertools.count()

    def worker() -> None:
        conn = None
        while (n := next(tickets)) < total:
            path = paths[n % len(paths)]
            start = time.perf_counter()
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(HOST, job["port"], timeout=60)
                    next(reconnects)
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    errors.append(f"{response.status} {path}")
                if response.will_close:  # gunicorn's sync workers close after each answer
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as error:
                errors.append(f"{type(error).__name__} {path}")
                conn = None
            latencies[n] = time.perf_counter() - start

    threads = [threading.Thread(target=worker) for _ in range(job["concurrency"])]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    ms = latencies * 1000
    return {
        "requests": total, "concurrency": job["concurrency"], "seconds": elapsed,
        "rps": total / elapsed, "p50_ms": float(np.percentile(ms, 50)),
        "p99_ms": float(np.percentile(ms, 99)), "max_ms": float(ms.max()),
        "errors": len(errors), "error_examples": sorted(set(errors))[:5],
        "connections": next(reconnects),
    }


def main() -> None:
    """Read the job from stdin, run it, print the summary as JSON."""
    print(json.dumps(run(json.load(sys.stdin))))


if __name__ == "__main__":
    main()
