"""One place that builds Temporal clients, so every process uses the same encrypted data converter."""

from __future__ import annotations

import logging
import os
import sys
from typing import NoReturn

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
from temporalio.client import Client, TLSConfig
from temporalio.converter import DataConverter

from referral.codec import referral_data_converter
from referral.config import Settings
from referral.search_attributes import ALL_KEYS


def data_converter(settings: Settings) -> DataConverter:
    return referral_data_converter(settings.payload_key_id, settings.payload_key_bytes())


def tls_config(settings: Settings) -> TLSConfig | bool:
    """The client side of mutual TLS when the deployment configures it (docker-compose does), else plaintext."""
    tls = settings.temporal_tls
    if tls is None:
        return False
    return TLSConfig(server_root_ca_cert=tls.ca_path.read_bytes(), client_cert=tls.cert_path.read_bytes(),
                     client_private_key=tls.key_path.read_bytes(), domain=tls.server_name)  # fmt: skip


async def connect(settings: Settings) -> Client:
    return await Client.connect(
        settings.temporal_address, namespace=settings.namespace, data_converter=data_converter(settings),
        tls=tls_config(settings),
    )  # fmt: skip


async def ensure_search_attributes(client: Client) -> None:
    """Register the custom search attributes if the server does not have them (idempotent)."""
    existing = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=client.namespace)
    )
    missing = {
        key.name: IndexedValueType.ValueType(key.indexed_value_type)
        for key in ALL_KEYS
        if key.name not in existing.custom_attributes
    }
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=client.namespace, search_attributes=missing)
        )


def hard_exit(code: int) -> NoReturn:
    """Leave without interpreter finalisation. The Temporal core's native threads can race Python's teardown
    (a fatal PyGILState_Release at exit) after an otherwise clean run, turning success into SIGABRT."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
