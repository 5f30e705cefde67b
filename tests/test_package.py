"""lanes as a package: `pip install .` installs it alone, and it imports with NumPy alone."""
import os
import shutil
import subprocess
import sys

from conftest import ROOT


def test_pip_install_gives_the_lanes_package_alone(tmp_path):
    # a copy of what pip reads, so that the build leaves nothing in the project (build/, *.egg-info)
    source = tmp_path / "source"
    shutil.copytree(ROOT / "lanes", source / "lanes", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", source)
    (source / "docs").mkdir()
    shutil.copy(ROOT / "docs" / "lanes.md", source / "docs")
    site = tmp_path / "site"
    built = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                            "--no-deps", "--no-build-isolation", "--no-index", "--target", str(site), str(source)],
                           capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr
    installed = sorted(path.name for path in site.iterdir() if not path.name.endswith(".dist-info"))
    assert installed == ["lanes"]  # the package alone: no demo script, no test
    code = ("import sys\n"
            "for name in ('tensorflow', 'keras', 'torch', 'jax'): sys.modules[name] = None\n"
            "import lanes\n"
            "print(lanes.__file__)\n"
            "print(lanes.check_layout(lambda stream: stream.reshape(2, 3), 6).ok)\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    ran = subprocess.run([sys.executable, "-c", code], cwd=elsewhere, env=env, capture_output=True, text=True,
                         timeout=60)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == f"{site / 'lanes' / '__init__.py'}\nTrue\n"


def test_the_package_metadata_says_numpy_alone():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["dependencies"] == ["numpy>=1.26"] and project["name"] == "lanes"


def test_the_packages_docstring_examples_print_what_they_show():
    import doctest
    import importlib

    import lanes

    modules = [lanes] + [importlib.import_module(f"lanes.{path.stem}") for path in (ROOT / "lanes").glob("[!_]*.py")]
    results = [doctest.testmod(module) for module in modules]
    assert sum(result.failed for result in results) == 0 and results[0].attempted >= 4
