"""A small DICOMweb client over httpx: QIDO-RS search, WADO-RS retrieve of one instance, STOW-RS store.
Instances move one at a time, so memory stays bounded by the largest instance, not the study."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx

STUDY_FIELDS = ["00080020", "00080061", "00081030", "00100010", "00100020", "00100030", "00201206", "00201208"]
_DICOM = 'multipart/related; type="application/dicom"'


class PacsUnavailable(RuntimeError):
    """The PACS did not answer (connection refused, timeout, 5xx): worth retrying."""


class PacsRefused(RuntimeError):
    """The PACS answered with a client error: retrying the same request will not help."""


class DicomWebClient:
    def __init__(self, base_url: str, timeout_s: float = 30.0, auth: tuple[str, str] | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = httpx.Client(timeout=timeout_s, auth=auth)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> DicomWebClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self.http.request(method, f"{self.base_url}{path}", **kwargs)
        except httpx.HTTPError as err:
            raise PacsUnavailable(f"PACS at {self.base_url} unreachable ({type(err).__name__})") from None
        if response.status_code >= 500:
            raise PacsUnavailable(f"PACS at {self.base_url} answered {response.status_code}")
        if response.status_code in (401, 403):
            raise PacsRefused(f"PACS at {self.base_url} refused our credentials ({response.status_code})")
        if response.status_code >= 400:
            raise PacsRefused(f"PACS at {self.base_url} refused {method} {path.split('?')[0]}: {response.status_code}")
        return response

    def search_studies(self, patient_id: str, since: date | None = None) -> list[dict[str, Any]]:
        params: list[tuple[str, str]] = [("PatientID", patient_id)]
        if since is not None:
            params.append(("StudyDate", f"{since:%Y%m%d}-"))
        params += [("includefield", tag) for tag in STUDY_FIELDS]
        response = self._send("GET", "/studies", params=params, headers={"Accept": "application/dicom+json"})
        return [] if response.status_code == 204 or not response.content else list(response.json())

    def instances(self, study_uid: str) -> list[tuple[str, str]]:
        """(series uid, instance uid) of every instance of the study."""
        response = self._send("GET", f"/studies/{study_uid}/instances", params=[("includefield", "0020000E")],
                              headers={"Accept": "application/dicom+json"})  # fmt: skip
        found = [] if response.status_code == 204 or not response.content else response.json()
        return [(d["0020000E"]["Value"][0], d["00080018"]["Value"][0]) for d in found]

    def retrieve_instance(self, study_uid: str, series_uid: str, instance_uid: str) -> bytes:
        response = self._send("GET", f"/studies/{study_uid}/series/{series_uid}/instances/{instance_uid}",
                              headers={"Accept": _DICOM})  # fmt: skip
        parts = multipart_parts(response.headers.get("content-type", ""), response.content)
        if len(parts) != 1:
            raise PacsRefused(f"expected one DICOM instance, got {len(parts)} parts")
        return parts[0]

    def store_instances(self, instances: list[bytes]) -> int:
        boundary = uuid.uuid4().hex
        body = (
            b"".join(
                b"--" + boundary.encode() + b"\r\nContent-Type: application/dicom\r\n\r\n" + data + b"\r\n"
                for data in instances
            )
            + b"--"
            + boundary.encode()
            + b"--\r\n"
        )
        response = self._send("POST", "/studies", content=body, headers={
            "Content-Type": f'{_DICOM}; boundary="{boundary}"', "Accept": "application/dicom+json",
        })  # fmt: skip
        result = response.json() if response.content else {}
        failed = (result.get("00081198") or {}).get("Value") or []
        if failed:
            raise PacsRefused(f"PACS refused {len(failed)} of {len(instances)} instances")
        return len(instances)


def multipart_parts(content_type: str, body: bytes) -> list[bytes]:
    boundary = None
    for parameter in content_type.split(";"):
        name, _, raw = parameter.strip().partition("=")
        if name.lower() == "boundary":
            boundary = raw.strip('"')
    if not boundary:
        raise PacsRefused("multipart response without a boundary")
    parts = []
    for chunk in body.split(b"--" + boundary.encode())[1:]:
        if chunk.startswith(b"--"):
            break
        _headers, _, payload = chunk.partition(b"\r\n\r\n")
        parts.append(payload[:-2] if payload.endswith(b"\r\n") else payload)
    return parts
