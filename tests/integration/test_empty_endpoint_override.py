"""With AWS_ENDPOINT_URL(_DYNAMODB) empty, as template.yaml deploys them, the handlers reach AWS's
own endpoints."""

from __future__ import annotations

import json
import os
from types import ModuleType

import boto3
import pytest
from inbox.storage import dynamodb as inbox_dynamodb

from tests.conftest import Invoke
from tests.integration.conftest import OPERATOR, Call

SEED = {"senderId": "123456789", "messageId": "endpoint-1", "text": "hi", "timestamp": 1731499200}


@pytest.fixture
def secrets() -> dict[str, str]:
    return dict(OPERATOR)


@pytest.fixture(autouse=True)
def _empty_override(webhook_module: ModuleType) -> None:
    # the stack fixture gave this process the template's environment, the empty variable included
    assert (os.environ["AWS_ENDPOINT_URL"], os.environ["AWS_ENDPOINT_URL_DYNAMODB"]) == ("", "")


def test_the_webhook_stores_through_dynamodbs_own_endpoint(invoke_webhook: Invoke) -> None:
    result = invoke_webhook(body=json.dumps(SEED).encode(), headers={"content-type": "application/json"})
    assert (result["statusCode"], json.loads(result["body"])["status"]) == (200, "stored")
    assert inbox_dynamodb.dynamodb_client().meta.endpoint_url == "https://dynamodb.us-east-1.amazonaws.com"


def test_the_login_and_settings_read_ssms_own_endpoint(call: Call, token: str) -> None:
    assert call("GET", "/instagram/config", token=token).status == 200
    # the settings client is Powertools' default one, which resolves its endpoint as this one does
    assert boto3.client("ssm").meta.endpoint_url == "https://ssm.us-east-1.amazonaws.com"
