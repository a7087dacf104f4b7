"""A Lambda's code as the components deploy it: one Python package's source files."""

from pathlib import Path
from types import ModuleType

import pulumi


def package_archive(package: ModuleType) -> pulumi.AssetArchive:
    """The package's source files only (no __pycache__ or editor files), by sorted name: the same
    archive, hence the same hash, from any machine that has the same sources."""
    directory = Path(package.__file__).resolve().parent
    files = sorted(path for path in directory.glob("*.py") if path.is_file())
    return pulumi.AssetArchive({f"{package.__name__}/{path.name}": pulumi.FileAsset(str(path)) for path in files})
