"""``python -m tools.developer.rehearsal --env dev [--keep] [--outdir cdk.out]`` (what `make rehearse` runs)."""

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
    parser.add_argument("--keep", action="store_true", help="keep the server up after the smoke check")
    args = parser.parse_args(argv)
    if not (args.outdir / "manifest.json").exists():
        print(f"rehearsal: no cloud assembly in {args.outdir}; run `make synth` first", file=sys.stderr)
        return 2
    try:
        rehearse(args.env, args.outdir.resolve(), keep=args.keep)
    except (RehearsalError, DeployError) as error:
        print(f"rehearsal failed: {error}", file=sys.stderr)
        return 1
    print("result: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
