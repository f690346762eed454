"""The HTML report's templates and stylesheet, shipped as ``mfu_advisor.templates``; a regular
package because setuptools' editable installs cannot import a mapped folder without one."""
