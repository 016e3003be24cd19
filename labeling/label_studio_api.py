"""A few calls of Label Studio's HTTP API (standard library only): create a project
with datalife's labeling interface, import a batch's tasks, export the annotations,
list the users (to name annotators by e-mail). The token comes from an environment
variable the caller names, never from a file or the command line.

    ls = LabelStudio("http://127.0.0.1:8080", token)
    pid = ls.create_project("round 1", label_config(["ham", "spam"]))
    ls.import_tasks(pid, tasks);  export = ls.export(pid);  users = ls.users()"""
from __future__ import annotations

import json
import os
import urllib.error
import urllib.request

__all__ = ["LabelStudio", "LabelStudioError", "token_from_env"]


class LabelStudioError(RuntimeError):
    """The server refused a call or cannot be reached; the message names the call."""


def token_from_env(name: str) -> str:
    token = os.environ.get(name, "")
    if not token:
        raise LabelStudioError(f"no Label Studio API token: set the environment variable {name} "
                               f"(Label Studio: Account & Settings -> Access Token)")
    return token


class LabelStudio:
    def __init__(self, url: str, token: str, timeout: float = 120):
        self.url, self.token, self.timeout = url.rstrip("/"), token, timeout

    def request(self, method: str, path: str, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Authorization": f"Token {self.token}",
                                              "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            raise LabelStudioError(f"Label Studio {method} {self.url}{path}: HTTP {exc.code} "
                                   f"{exc.read()[:300]!r}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise LabelStudioError(f"Label Studio {method} {self.url}{path}: cannot connect ({exc})") from None
        return json.loads(raw) if raw else None

    def create_project(self, title: str, label_config: str) -> int:
        return int(self.request("POST", "/api/projects", {"title": title, "label_config": label_config})["id"])

    def import_tasks(self, project: int, tasks: list) -> int:
        return int(self.request("POST", f"/api/projects/{project}/import", tasks)["task_count"])

    def export(self, project: int) -> list:
        return self.request("GET", f"/api/projects/{project}/export?exportType=JSON&download_all_tasks=true")

    def users(self) -> dict:
        return {u["id"]: u.get("email") or u.get("username") for u in self.request("GET", "/api/users")}
