"""Every institution's gateway of the network in one process, each on the port of its `gateway_url`: what
`referral dev` runs so that the pilot's hospitals can exchange messages on one machine. In a deployment each
hospital runs only its own (`python -m referral.gateways --only CODE`)."""

from __future__ import annotations

import argparse
import asyncio
from urllib.parse import urlparse

import httpx
import uvicorn

from referral.config import Settings
from referral.gateway import MessageIndex, create_gateway
from referral.network import load_network
from referral.signing_keys import SigningKeys
from referral.storage import open_store
from referral.temporal import hard_exit


async def serve(settings: Settings, only: str | None = None) -> None:
    network = load_network(settings.network_file)
    tokens = settings.api_tokens()
    store = open_store(settings)
    trust_root = SigningKeys(settings.signing_keys_dir).trust_root()
    servers = []
    for code, institution in sorted(network.institutions().items()):
        if only and code != only:
            continue
        url = urlparse(institution.gateway_url)
        index = MessageIndex(settings.data_dir / "gateways" / f"{code}.sqlite")
        app = create_gateway(code, tokens, store, index, trust_root)
        config = uvicorn.Config(app, host=url.hostname or "127.0.0.1", port=url.port or 80, log_level="warning")
        servers.append(uvicorn.Server(config))
    await asyncio.gather(*(server.serve() for server in servers))


def main() -> None:
    parser = argparse.ArgumentParser(description="hospital gateways of the network")
    parser.add_argument("--only", help="run only this institution's gateway")
    parser.add_argument("--check", action="store_true", help="health check: exit 0 when the gateways answer")
    args = parser.parse_args()
    if args.check:
        hard_exit(0 if check(Settings(), args.only) else 1)
    asyncio.run(serve(Settings(), args.only))
    hard_exit(0)


def check(settings: Settings, only: str | None = None) -> bool:
    network = load_network(settings.network_file)
    urls = [i.gateway_url for code, i in network.institutions().items() if not only or code == only]
    try:
        return bool(urls) and all(httpx.get(f"{url}/health", timeout=5).status_code == 200 for url in urls)
    except httpx.HTTPError:
        return False


if __name__ == "__main__":
    main()
