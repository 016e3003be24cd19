"""datalife: the ML data lifecycle as a production TFX pipeline.

The top-level folders the project is organised in (common/, pipeline/, components/,
transforms/, labeling/) are the sub-packages of the one importable package
``datalife``; ``package_dir`` maps them so the folder tree stays flat.
"""
from setuptools import setup

SUBPACKAGES = {
    "datalife": "datalife",
    "datalife.common": "common",
    "datalife.pipeline": "pipeline",
    "datalife.components": "components",
    "datalife.transforms": "transforms",
    "datalife.labeling": "labeling",
}


def _find_packages():
    import os

    packages, package_dir = [], {}
    for name, folder in SUBPACKAGES.items():
        for root, dirs, files in os.walk(folder):
            dirs[:] = [d for d in dirs if not d.startswith((".", "__"))]
            if "__init__.py" in files:
                rel = os.path.relpath(root, folder)
                pkg = name if rel == "." else name + "." + rel.replace(os.sep, ".")
                packages.append(pkg)
                package_dir[pkg] = root
    return packages, package_dir


PACKAGES, PACKAGE_DIR = _find_packages()

setup(
    name="datalife",
    version="0.1.0",
    description="The ML data lifecycle (unify, weak-label, augment, window) as a TFX pipeline",
    python_requires=">=3.11,<3.12",
    packages=PACKAGES,
    package_dir=PACKAGE_DIR,
    package_data={"datalife": ["configs/*.yaml"]},
    include_package_data=True,
    # Dependencies are pinned in requirements.lock and installed from it by the
    # Makefile (an install never resolves); see README "Install".
    install_requires=[],
    entry_points={"console_scripts": ["datalife = datalife.cli:main"]},
)
