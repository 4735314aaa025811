"""Argument types and defaults shared by the CLI commands.

Example:
    >>> positive_int("3"), fraction("0.5")
    (3, 0.5)
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["they_apply", "positive_int", "port_number", "fraction", "number_between", "model_path", "common_options",
           "not_empty", "Parser", "MODEL_HELP", "MODEL_HELP_NO_ROOT", "FIT_JOBS"]

FIT_JOBS = 2
"""Processes for the cross-validation fits of train, evaluate and labels audit (the machine this is measured on
has 2 cores; each fit is one process)."""

MODEL_HELP = ("model file (default: $TAGGER_MODEL, else models/tagger.npz of --root or of the checkout around the "
              "current folder, else the per-user data folder)")
MODEL_HELP_NO_ROOT = ("model file (default: $TAGGER_MODEL, else models/tagger.npz of the checkout around the current "
                      "folder, else the per-user data folder)")
"""``--model``'s help for a command without ``--root``."""


def positive_int(text: str) -> int:
    """An argument type: a whole number of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def random_seed(text: str) -> int:
    """A random state, 0 to 2**32 - 1 (what numpy and scikit-learn accept).

    Example:
        >>> random_seed("7")
        7
    """
    value = int(text)
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"must be a whole number from 0 to {2**32 - 1}, got {value}")
    return value


def port_number(text: str) -> int:
    """A TCP port, 0 (a free one) to 65535.

    Example:
        >>> port_number("0"), port_number("8766")
        (0, 8766)
    """
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port from 0 to 65535 (0 picks a free one), got {value}")
    return value


def number_between(low: float, high: float) -> Callable[[str], float]:
    """An argument type: a number from ``low`` to ``high`` (inclusive).

    Example:
        >>> number_between(1, 200)("18")
        18.0
    """
    def parse(text: str) -> float:
        value = float(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low:g} and {high:g}, got {value}")
        return value

    return parse


fraction = number_between(0, 1)
"""An argument type: a share from 0 to 1."""


def not_empty(text: str) -> str:
    """An argument type: any text but an empty one. ``--out "$OUT"`` with ``OUT`` unset passes ``""``, which
    the commands took as the option left out (train replaced ``models/tagger.npz``, evaluate wrote into the
    current folder, ``--host ""`` served on every address): a value given empty is refused.

    Example:
        >>> not_empty("m.npz")
        'm.npz'
        >>> not_empty("")
        Traceback (most recent call last):
        ...
        argparse.ArgumentTypeError: is empty (an unset shell variable?): give a value, or leave the option out for its default
    """
    if text == "":
        raise argparse.ArgumentTypeError("is empty (an unset shell variable?): give a value, or leave the option "
                                         "out for its default")
    return text


class Parser(argparse.ArgumentParser):
    """The command line's parser: :func:`not_empty` is the type of each option it (or a subcommand's parser: made of
    its class by ``add_subparsers``) is given that takes one value of text with no type of its own (files, folders,
    a model, columns, an encoding, an address), set as the option is declared, so that an empty value is a usage
    error naming the option (exit 2) wherever it is given (``--by`` too, each time), and so is each value of an
    option of several (``--keep-columns "$UNSET"``: a column list that names nothing); operands keep their own
    rules. So are the options of its argument groups (``add_argument_group``, ``add_mutually_exclusive_group``);
    a parent parser's (``parents=``) are its own parser's: make it a :class:`Parser` too (``tests/test_cli.py``
    walks every command's options for one left out).

    Example:
        >>> parser = Parser(prog="p", exit_on_error=False)
        >>> _ = parser.add_argument("--out")
        >>> parser.parse_args(["--out", ""])
        Traceback (most recent call last):
        ...
        argparse.ArgumentError: argument --out: is empty (an unset shell variable?): give a value, or leave the option out for its default
    """

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        """:meth:`argparse.ArgumentParser.add_argument`, an option of text without a type refusing empty values."""
        return _refusing_empty(super().add_argument(*args, **kwargs))

    def parse_args(self, args: Any = None, namespace: Any = None) -> argparse.Namespace:  # type: ignore[override]
        """:meth:`argparse.ArgumentParser.parse_args`, an unknown option said by the (sub)command it was given to,
        with its usage (``python train.py --bogus`` showed ``tagger``'s usage and its list of commands, not train's
        options; ``tagger --bogus train`` showed train's)."""
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            given = self._given(parsed)
            given.error(f"unrecognized arguments: {' '.join(given._own_extras(parsed))}")
        return parsed

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> tuple[argparse.Namespace, list[str]]:
        """:meth:`argparse.ArgumentParser.parse_known_args`, the arguments it did not know kept (for
        :meth:`_given`): first the ones given to this parser, then those its subcommand's parser (which argparse
        runs inside this call) did not know."""
        parsed, extras = super().parse_known_args(args, namespace)
        self._unknown = list(extras)
        return parsed, extras

    def _subcommand(self, parsed: argparse.Namespace) -> argparse.ArgumentParser | None:
        """The parser of the subcommand of this parser ``parsed`` names, if any."""
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                return action.choices.get(getattr(parsed, action.dest, None))
        return None

    def _own_extras(self, parsed: argparse.Namespace) -> list[str]:
        """The arguments of the last parse this parser did not know, without its subcommand's."""
        unknown = getattr(self, "_unknown", [])
        inner = self._subcommand(parsed)
        return unknown[:len(unknown) - len(getattr(inner, "_unknown", []))]

    def _given(self, parsed: argparse.Namespace) -> argparse.ArgumentParser:
        """The parser of the outermost (sub)command ``parsed`` names that was given an argument it does not know
        (``tagger labels import a.jsonl --bogus``: import's; ``tagger --bogus train``: tagger's)."""
        if self._own_extras(parsed):
            return self
        inner = self._subcommand(parsed)
        if inner is None:
            return self
        return inner._given(parsed) if isinstance(inner, Parser) else inner

    def add_argument_group(self, *args: Any, **kwargs: Any) -> Any:
        """:meth:`argparse.ArgumentParser.add_argument_group`, its options refusing empty values as the parser's."""
        return _options_refusing_empty(super().add_argument_group(*args, **kwargs))

    def add_mutually_exclusive_group(self, *args: Any, **kwargs: Any) -> Any:
        """:meth:`argparse.ArgumentParser.add_mutually_exclusive_group`, likewise."""
        return _options_refusing_empty(super().add_mutually_exclusive_group(*args, **kwargs))


def _refusing_empty(action: argparse.Action) -> argparse.Action:
    """``action`` with :func:`not_empty` as its type where it is an option of text without a type of its own."""
    if (action.option_strings and action.nargs in (None, "+", "*") and action.type is None
            and action.choices is None and action.const is None and isinstance(action.default, (str, type(None)))):
        action.type = not_empty
    return action


def _options_refusing_empty(group: Any) -> Any:
    """An argument group whose ``add_argument`` (and a group's groups') set :func:`not_empty` as :class:`Parser`'s
    does."""
    add_argument, add_exclusive = group.add_argument, group.add_mutually_exclusive_group
    group.add_argument = lambda *args, **kwargs: _refusing_empty(add_argument(*args, **kwargs))
    group.add_mutually_exclusive_group = lambda *args, **kwargs: _options_refusing_empty(add_exclusive(*args,
                                                                                                       **kwargs))
    return group


def common_options() -> argparse.ArgumentParser:
    """A parent parser with ``-q``/``--quiet`` and ``--debug``, for every (sub)command: the options of
    ``tagger`` itself, accepted after the command too (``tagger labels export ... -q``); a value given
    before the command is kept (``default=SUPPRESS``).

    Example:
        >>> parser = argparse.ArgumentParser(parents=[common_options()])
        >>> parser.parse_args(["-q"]).quiet, vars(parser.parse_args([]))
        (True, {})
    """
    common = Parser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    common.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                        help="only warnings and errors on stderr")
    return common


def model_path(value: str | None, root: str | Path | None = None) -> Path:
    """``--model`` (or ``--out``), else :func:`tagger.common.paths.default_model_path` (of ``root``, the
    command's ``--root``, when given; its default ``.`` means the checkout around the current folder, as
    without ``--root``)."""
    from ..common.paths import model_file

    return model_file(value, None if root is None or str(root) == "." else root)  # "": refused as given


def they_apply(options: list[str]) -> str:
    """Options as a message's subject and verb, for options given where they do not apply.

    Example:
        >>> they_apply(["--id-column id"]), they_apply(["--model m.npz", "--from doccano"])
        ('--id-column id applies', '--model m.npz and --from doccano apply')
    """
    return f"{' and '.join(options)} {'apply' if len(options) > 1 else 'applies'}"
