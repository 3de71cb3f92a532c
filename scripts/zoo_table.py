"""Print the model-zoo table of docs/models.md from the registered model cards: python scripts/zoo_table.py"""

from __future__ import annotations

import srkit


def _short(n: int) -> str:
    return f"{n / 1e6:.3g}M" if n >= 1e5 else f"{n / 1e3:.3g}K"


def main() -> None:
    print("| name | arch | scales | in ch | parameters (srkit) | paper | multiple of | tiling | fp16 |")
    print("|---|---|---|---:|---|---|---:|---|---|")
    for c in srkit.list_models():
        params = " / ".join(_short(c.params[s]) for s in c.scales)
        paper = " / ".join(_short(c.published_params[s]) for s in c.scales if s in c.published_params) or "-"
        print(
            f"| `{c.name}` | {c.arch} | {', '.join(f'x{s}' for s in c.scales)} | {c.in_channels} | {params} | {paper} "
            f"| {c.multiple_of} | {'yes' if c.tiling else 'no'} | {'yes' if c.fp16 else 'no'} |"
        )


if __name__ == "__main__":
    main()
