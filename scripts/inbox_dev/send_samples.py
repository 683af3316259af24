"""`make send-samples`: post every webhook sample to a URL and check each answer.

Works against the local server (default) and a deployed stack (URL=<WebhookUrl output>). A
configured webhook secret is sent from INBOX_WEBHOOK_SECRET (or --secret) and never printed.
Exit status 1 when any answer differs from what its sample expects, 2 when the URL is unreachable.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import httpx

from inbox_dev.samples import SAMPLES_DIR, load_samples, mismatches


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("URL", "http://localhost:3000/instagram/webhook"))
    parser.add_argument("--samples", type=Path, default=SAMPLES_DIR, help="folder of sample *.json files")
    parser.add_argument("--secret", default=os.environ.get("INBOX_WEBHOOK_SECRET"), help=argparse.SUPPRESS)
    parser.add_argument("--timeout", type=float, default=15.0)
    args = parser.parse_args(argv)

    samples = load_samples(args.samples)
    if not samples:
        print(f"no samples found in {args.samples}", file=sys.stderr)
        return 1
    print(f"posting {len(samples)} samples to {args.url}")
    failed = 0
    with httpx.Client(timeout=args.timeout) as client:
        for sample in samples:
            headers = dict(sample.headers)
            if args.secret:
                headers["X-Webhook-Secret"] = args.secret
            url = f"{args.url}?{sample.query}" if sample.query else args.url
            try:
                response = client.request(sample.method, url, headers=headers, content=sample.body)
            except httpx.HTTPError as exc:
                print(f"cannot reach {args.url}: {exc} (is `make dev` running?)", file=sys.stderr)
                return 2
            try:
                answer: object = response.json()
            except ValueError:
                answer = response.text
            outcome = answer.get("status") or answer.get("error") if isinstance(answer, dict) else answer
            problems = mismatches(sample, response.status_code, answer)
            verdict = "ok" if not problems else "FAIL: " + "; ".join(problems)
            print(f"  {sample.name:<32} {response.status_code}  {str(outcome)[:40]:<40} {verdict}")
            failed += bool(problems)
    print(f"{len(samples) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
