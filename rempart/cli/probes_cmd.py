"""``rempart probes``: every probe with its cost and whether it has data, to decide what to drop.

By default it asks the running agent (control command ``probes_status``): the figures are
those of the agent's own collections (runs, failures, mean time). ``--local`` needs no agent:
it builds the probes from the configuration and runs each once here (network checks
included, so it can take a few seconds: progress goes to stderr). Exit codes: 0 every probe
worked, 1 a probe failed, 2 usage or configuration error, 3 agent unreachable.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any, TextIO, TypeAlias

from rempart.adapters.control import ControlClient
from rempart.cli.common import load_config_or_default
from rempart.cli.control_cmd import add_agent_options, guarded, socket_path
from rempart.cli.output import (
    answer_text,
    as_list,
    as_mapping,
    as_number,
    fmt_float,
    print_json,
    printable,
    t,
    table,
)
from rempart.clock import SystemClock
from rempart.config.durations import format_duration
from rempart.services.agent_probes import probes_answer
from rempart.services.probe_catalog import AGENT_ONLY, build_probes
from rempart.services.probes import ProbeStatus, run_probe, status_of

__all__ = ["print_probes", "register", "run_local"]

Sub: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"

SLOW = 1.0  # seconds after which --local reports its progress on stderr


def register(sub: Sub, lang: str) -> None:
    p = sub.add_parser(
        "probes",
        help=t(
            lang,
            "metric probes: cost per collection, data or not, errors; Munin plugins",
            "sondes de métriques : coût par collecte, données ou non, erreurs ; greffons Munin",
        ),
        description=t(
            lang,
            "List the metric probes with what each costs and whether it returned data, to "
            "decide which to switch off ([metrics] disabled = [...]).",
            "Liste les sondes de métriques avec leur coût et si elles ont renvoyé des données, "
            "pour choisir celles à désactiver ([metrics] disabled = [...]).",
        ),
        epilog=t(
            lang,
            "Exit codes: 0 every probe worked, 1 a probe failed, 2 usage or configuration "
            "error, 3 agent unreachable.",
            "Codes de sortie : 0 toutes les sondes ont fonctionné, 1 une sonde a échoué, "
            "2 erreur d'usage ou de configuration, 3 agent injoignable.",
        ),
    )
    p.add_argument(
        "--local",
        action="store_true",
        help=t(
            lang,
            "no agent: build the probes from the configuration and run each once here",
            "sans agent : construire les sondes depuis la configuration et lancer chacune "
            "une fois ici",
        ),
    )
    add_agent_options(p, lang)
    p.set_defaults(handler=guarded(_cmd_probes))


def _cmd_probes(args: argparse.Namespace, lang: str) -> int:
    if args.local:
        result = run_local(args, lang, sys.stderr)
    else:
        path = socket_path(args.socket, args.config)
        result = ControlClient(path, timeout=60.0).call("probes_status")
    if args.json:
        print_json(result)
    else:
        print_probes(result, lang, sys.stdout)
    failed = any(
        as_mapping(p).get("enabled") and as_mapping(p).get("last_error")
        for p in as_list(as_mapping(result).get("probes"))
    )
    return 1 if failed else 0


def run_local(args: argparse.Namespace, lang: str, err: TextIO) -> dict[str, Any]:
    """Every configured probe run once in this process: the ``probes_status`` answer."""
    config = load_config_or_default(args.config, lang)
    probes = build_probes(config)
    clock = SystemClock()
    started = time.perf_counter()
    statuses: list[ProbeStatus] = []
    for probe in probes:
        if probe.background or time.perf_counter() - started > SLOW:
            err.write(t(lang, f"collecting {probe.name}…\n", f"collecte de {probe.name}…\n"))
        statuses.append(status_of(probe, [run_probe(probe, clock)]))
    if not config.metrics.enabled:
        return probes_answer(False, [])
    off = sorted(config.metrics.disabled)
    statuses += [ProbeStatus(n, enabled=False, background=False, interval=0.0) for n in off]
    return probes_answer(True, statuses)


def _kind(probe: dict[str, Any], lang: str) -> str:
    if not probe.get("enabled"):
        return "-"
    if probe.get("background"):
        every = format_duration(as_number(probe.get("interval")) or 0.0)
        return t(lang, f"every {every}", f"toutes les {every}")
    return t(lang, "on demand", "à la demande")


def _ms(value: Any, lang: str) -> str:
    seconds = as_number(value)
    return "-" if seconds is None else fmt_float(seconds * 1000, lang, 1)


def _row(probe: dict[str, Any], lang: str) -> list[str]:
    on = bool(probe.get("enabled"))
    ran = (as_number(probe.get("runs")) or 0) > 0
    error = printable(str(probe.get("last_error") or ""), 80)
    return [
        printable(str(probe.get("name", "?")), 40),
        t(lang, "on", "oui") if on else t(lang, "off", "non"),
        _kind(probe, lang),
        answer_text(len(as_list(probe.get("graphs"))), lang) if ran else "-",
        answer_text(probe.get("fields"), lang) if ran else "-",
        _ms(probe.get("mean_duration"), lang) if ran else "-",
        (t(lang, "yes", "oui") if probe.get("has_data") else t(lang, "no", "non")) if ran else "-",
        error or "-",
    ]


def print_probes(result: Any, lang: str, out: TextIO) -> None:
    """The answer of ``probes_status`` as tables."""
    answer = as_mapping(result)
    if not answer.get("enabled"):
        out.write(
            t(
                lang,
                "Metrics are off ([metrics] enabled = false).\n",
                "Les métriques sont désactivées ([metrics] enabled = false).\n",
            )
        )
        return
    probes = [as_mapping(p) for p in as_list(answer.get("probes"))]
    header = (
        ["probe", "on", "kind", "graphs", "fields", "ms", "data", "last error"]
        if lang != "fr"
        else ["sonde", "active", "type", "graphes", "champs", "ms", "données", "dernière erreur"]
    )
    table([_row(dict(p), lang) for p in probes], header, out)
    names = {p.get("name") for p in probes}
    for missing in sorted(AGENT_ONLY - names):
        out.write(
            t(
                lang,
                f"({missing}: only in the running agent)\n",
                f"({missing} : seulement dans l'agent en marche)\n",
            )
        )
    _plugins(answer.get("plugins"), lang, out)
    _services(as_mapping(answer.get("services")), lang, out)
    out.write(
        t(
            lang,
            '\nms: mean time per collection. Switch a probe off: [metrics] disabled = ["name"].\n',
            "\nms : temps moyen par collecte. Désactiver une sonde : "
            '[metrics] disabled = ["nom"].\n',
        )
    )


def _plugins(value: Any, lang: str, out: TextIO) -> None:
    plugins = [as_mapping(p) for p in as_list(value)]
    if not plugins:
        return
    out.write(t(lang, "\nMunin plugins:\n", "\nGreffons Munin :\n"))
    header = (
        ["plugin", "runs", "failures", "ms", "last outcome"]
        if lang != "fr"
        else ["greffon", "exécutions", "échecs", "ms", "dernier résultat"]
    )
    rows = [
        [
            printable(str(p.get("name", "?")), 60),
            answer_text(p.get("runs"), lang),
            answer_text(p.get("failures"), lang),
            _ms(p.get("last_duration"), lang),
            printable(str(p.get("last_outcome") or "-"), 40),
        ]
        for p in plugins
    ]
    table(rows, header, out)


def _services(services: Any, lang: str, out: TextIO) -> None:
    for name in ("munin", "prometheus"):
        s = as_mapping(as_mapping(services).get(name))
        if not s:
            continue
        label = "munin-node" if name == "munin" else "Prometheus"
        where = printable(str(s.get("address") or s.get("port") or ""), 80)
        if not s.get("enabled"):
            state = t(lang, "off", "désactivé")
        elif s.get("listening"):
            state = t(lang, f"listening on {where}", f"en écoute sur {where}")
        else:
            problem = printable(str(s.get("problem") or ""), 200)
            state = t(lang, "not listening", "pas en écoute") + (f" ({problem})" if problem else "")
        out.write(f"{label}: {state}\n")
