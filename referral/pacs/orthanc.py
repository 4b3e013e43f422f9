"""A local PACS for `referral dev` and the tests: Debian's Orthanc with the DICOMweb plugin, on loopback ports of
its own, storing under a folder. DefaultEncoding Utf8 makes its QIDO-RS answers carry Korean names (the Latin-1
default drops them), as a hospital's PACS serving Korean patients must be configured."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import httpx

from referral.devserver import free_port
from referral.processes import stop_process, wait_until_up

DICOMWEB_PLUGIN = Path("/usr/share/orthanc/plugins/libOrthancDicomWeb.so")


class OrthancServer:
    def __init__(self, folder: Path, name: str, users: dict[str, str] | None = None, port: int | None = None) -> None:
        self.folder, self.name, self.users = folder, name, users or {}
        self.auth = next(iter(self.users.items()), None)  # for our own REST calls
        self.port, self.dicom_port = port or free_port(), free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def dicomweb(self) -> str:
        return f"{self.url}/dicom-web"

    def start(self) -> OrthancServer:
        binary = shutil.which("Orthanc")
        if binary is None or not DICOMWEB_PLUGIN.exists():
            raise RuntimeError("Orthanc or its DICOMweb plugin is missing: run scripts/setup.sh")
        storage = self.folder / "storage"
        storage.mkdir(parents=True, exist_ok=True)
        config = {
            "Name": self.name,
            "HttpPort": self.port,
            "DicomPort": self.dicom_port,
            "DicomAet": self.name.upper()[:16],
            "RemoteAccessAllowed": False,
            "AuthenticationEnabled": bool(self.users),
            "RegisteredUsers": self.users,
            "HttpBindAddress": "127.0.0.1",
            "StorageDirectory": str(storage),
            "IndexDirectory": str(storage),
            "DefaultEncoding": "Utf8",
            "Plugins": [str(DICOMWEB_PLUGIN)],
            "DicomWeb": {"Enable": True, "Root": "/dicom-web/"},
        }
        path = self.folder / "orthanc.json"
        path.write_text(json.dumps(config))
        with (self.folder / "orthanc.log").open("ab") as log:
            self.process = subprocess.Popen([binary, str(path)], stdout=log, stderr=subprocess.STDOUT)
        wait_until_up(
            lambda: httpx.get(f"{self.url}/system", auth=self.auth, timeout=1).status_code == 200,
            self.process, f"Orthanc {self.name} (log: {self.folder / 'orthanc.log'})", timeout_s=20, interval_s=0.1,
        )  # fmt: skip
        return self

    def stop(self) -> None:
        stop_process(self.process, timeout_s=10)
        self.process = None

    def upload(self, data: bytes) -> str:
        response = httpx.post(f"{self.url}/instances", content=data, auth=self.auth, timeout=30)
        response.raise_for_status()
        return str(response.json()["ID"])

    def study_uids(self) -> set[str]:
        studies = httpx.get(f"{self.url}/studies?expand", auth=self.auth, timeout=10).json()
        return {s["MainDicomTags"]["StudyInstanceUID"] for s in studies}

    def instance_count(self, study_uid: str) -> int:
        found = httpx.post(
            f"{self.url}/tools/find",
            json={"Level": "Instance", "Query": {"StudyInstanceUID": study_uid}},
            auth=self.auth,
            timeout=10,
        ).json()
        return len(found)
