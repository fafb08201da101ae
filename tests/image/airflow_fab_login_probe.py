"""Run with the e2e venv's Python: logs in through Airflow 3.1's real api-server app (FastAPI +
FAB auth manager + our webserver_config.py) with ALB-style headers; prints one JSON document."""

from __future__ import annotations

import base64
import json
import sys
import time

from airflow.api_fastapi.app import create_app
from fastapi.testclient import TestClient

SIGNER = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/airflow/0123456789abcdef"


def _segment(document: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(document).encode()).decode()  # padded, like the ALB


def alb_headers(claims: dict, identity: str | None = None) -> dict:
    header = {"alg": "ES256", "kid": "k1", "signer": SIGNER, "exp": int(time.time()) + 60}
    return {
        "x-amzn-oidc-identity": identity or claims["sub"],
        "x-amzn-oidc-data": f"{_segment(header)}.{_segment(claims)}.c2ln",
    }


def main() -> None:
    app = create_app()
    out = {}

    def login(name: str, headers: dict) -> TestClient:
        client = TestClient(app, base_url="http://testserver")
        answer = client.get("/auth/login/?next=http://testserver/", headers=headers, follow_redirects=False)
        out[name] = {"status": answer.status_code, "token": "_token" in answer.cookies}
        return client

    def user(client: TestClient, username: str) -> dict:
        token = client.cookies.get("_token")
        answer = client.get(f"/auth/fab/v1/users/{username}", headers={"Authorization": f"Bearer {token}"})
        return {"status": answer.status_code, "body": answer.json()}

    viewer = login(
        "viewer", alb_headers({"sub": "u-1", "email": "Alice@Example.com", "name": "Alice Liddell"})
    )
    admin = login(
        "admin", alb_headers({"sub": "u-2", "email": "bob@example.com", "groups": "ops airflow-admins"})
    )
    out["viewer_reads_users"] = user(viewer, "alice@example.com")["status"]
    out["viewer_dags"] = viewer.get(
        "/api/v2/dags", headers={"Authorization": f"Bearer {viewer.cookies.get('_token')}"}
    ).status_code
    out["alice"] = user(admin, "alice@example.com")["body"]
    out["bob"] = user(admin, "bob@example.com")["body"]
    login("no_headers", {})
    login("mismatch", alb_headers({"sub": "u-1", "email": "alice@example.com"}, identity="u-9"))
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
