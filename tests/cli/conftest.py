import pytest

from tend.cli.main import main


@pytest.fixture
def tend(monkeypatch, capsys):
    """Run the `tend` command in-process, in English; returns (exit code, stdout, stderr)."""
    monkeypatch.setenv("TEND_LANGUAGE", "en")

    def run(*argv):
        capsys.readouterr()
        code = main(list(argv))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run
