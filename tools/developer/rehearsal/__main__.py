"""``python -m tools.developer.rehearsal --env dev [--keep | --recreate] [--outdir cdk.out]``: `make rehearse`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tools.developer.rehearsal.deployer import DeployError
from tools.developer.rehearsal.rehearse import RehearsalError, rehearse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.developer.rehearsal", description=__doc__)
    parser.add_argument("--env", default="dev", help="environment (stage) to rehearse: dev, staging or prod")
    parser.add_argument("--outdir", default="cdk.out", type=Path, help="the synthesized cloud assembly")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--keep", action="store_true", help="keep the server up after the smoke check")
    mode.add_argument(
        "--recreate",
        action="store_true",
        help="after the teardown, deploy again next to what the first deployment retained, and tear down again",
    )
    args = parser.parse_args(argv)
    if not (args.outdir / "manifest.json").exists():
        print(f"rehearsal: no cloud assembly in {args.outdir}; run `make synth` first", file=sys.stderr)
        return 2
    try:
        rehearse(args.env, args.outdir.resolve(), keep=args.keep, recreate=args.recreate)
    except (RehearsalError, DeployError) as error:
        print(f"rehearsal failed: {error}", file=sys.stderr)
        return 1
    print("result: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
