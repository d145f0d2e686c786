"""Build hooks for the wheel: compiled message catalogs and the Alembic migrations go inside the package.

Everything else (metadata, dependencies, package data) is in pyproject.toml. The repository keeps
``migrations/`` at the top level (Flask-Migrate's home in a checkout); an installed wheel has no
checkout, so ``build_py`` copies it to ``smartwork/migrations/``, where ``create_app`` looks first.
The ``.mo`` files are git-ignored build products, so ``build_py`` compiles them from the ``.po``
files: a plain ``python -m build`` (no ``make``) still serves Korean pages.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


def compile_catalogs(translations: Path) -> list[Path]:
    """Compile each ``<locale>/LC_MESSAGES/*.po`` to a ``.mo`` beside it, as ``make translations`` does."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po in sorted(translations.glob("*/LC_MESSAGES/*.po")):
        with po.open("rb") as source:
            catalog = read_po(source, locale=po.parent.parent.name)
        mo = po.with_suffix(".mo")
        with mo.open("wb") as target:
            write_mo(target, catalog, use_fuzzy=True)  # pybabel compile -f, like the Makefile
        written.append(mo)
    return written


def copy_migrations(source: Path, target: Path) -> list[Path]:
    """Copy the Alembic environment and revisions (no bytecode) into the package being built."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.py[co]"))
    return [path for path in target.rglob("*") if path.is_file()]


class BuildPy(build_py):
    """``build_py`` plus the catalogs and the migrations (skipped for editable installs: they use the checkout)."""

    def run(self) -> None:
        super().run()
        if self.dry_run or getattr(self, "editable_mode", False):
            return
        package = Path(self.build_lib) / "smartwork"
        self._extra = compile_catalogs(package / "translations") + copy_migrations(ROOT / "migrations",
                                                                                     package / "migrations")

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        return [*super().get_outputs(include_bytecode), *(str(path) for path in getattr(self, "_extra", []))]


setup(cmdclass={"build_py": BuildPy})
