"""docs/bench.md and its plots from docs/bench.json.

The measured part of docs/bench.md lies between two marker lines and is rewritten each time; what is
written around it (the analysis of the figures) is kept.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - the backend must be chosen first

BEGIN = "<!-- measured: written by `python -m tests.bench`, do not edit by hand -->"
END = "<!-- end of measured -->"
MODES = ("hybrid", "semantic", "keyword")
THROUGHPUT_PLOT = "bench-throughput.png"
LATENCY_PLOT = "bench-latency.png"
ONE_CORE = "one core (`taskset -c 0`, 1 torch thread)"


def table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def figure(value, digits: int = 1) -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}" if isinstance(value, float) else f"{value:,}"


def failed(part) -> str | None:
    if part is None:
        return "not run yet"
    if isinstance(part, dict) and ("error" in part or "skipped" in part):
        lines = [line for line in str(part.get("error") or part.get("skipped")).splitlines() if line.strip()]
        return lines[-1][:300] if lines else "failed"
    return None


def stages_rows(parts: dict) -> list[list]:
    rows = []
    crawl = parts.get("crawl")
    if not failed(crawl):
        median, peak = crawl["median"], crawl["peak_rss_mb"]["ess_crawl"]
        rows.append(["crawl", "pages/s", "Scrapy spider doing nothing", median["bare"], median["ess"], median["ratio"]])
        rows[-1].append(peak)
    stages = parts.get("stages")
    if not failed(stages):
        for name, r in stages.items():
            ratio = iqr(r["ratio"]) if isinstance(r["ratio"], dict) else r["ratio"]
            rows.append([name, r["unit"], bare_label(name, r), r["bare"], r["ours"], ratio, r["peak MB"]])
    return [[c if not isinstance(c, float) else figure(c, 2) for c in row] for row in rows]


def stage_notes(stages) -> str:
    """What the stage table leaves out: extraction's reference rows and NLP's output parity."""
    if failed(stages):
        return ""
    notes = []
    extraction, nlp = stages.get("extraction") or {}, stages.get("NLP") or {}
    for name in ("trafilatura.extract, same options", "trafilatura.extract, defaults"):
        if name in extraction:
            notes.append(f"- Reference, `{name}`: {extraction[name]} docs/s.")
    if parity := nlp.get("parity"):
        notes.append(
            f"- NLP output parity: bare NER found {parity['bare entity spans']} entity spans; ours keeps "
            f"{parity['kept by ours (same span and label)']:.1%} of them with the same span and label and adds "
            f"{parity['ours only (gazetteer, dates, places)']} of its own (gazetteer names, dates, places)."
        )
    rounds = len((extraction or nlp).get("rounds", []))
    if rounds:
        notes.insert(0, f"- {rounds} ABBA rounds after a discarded warm-up; ratio: median (interquartile range).")
    return "\n\n" + "\n".join(notes) if notes else ""


def median_ratio(row: list) -> float:
    """The median of a stage row's ratio cell ("0.94 (0.90–0.98)" or a bare number)."""
    return float(str(row[5]).split()[0])


def bare_label(stage: str, result: dict) -> str:
    return {
        "extraction": "`trafilatura.bare_extraction`, same options and serialisation",
        "NLP": "`nlp.pipe`, the same statistical components",
        "embedding": result.get("bare settings", "`SentenceTransformer.encode`"),
        "indexing": "`collection.add`",
    }[stage]


def crawl_section(crawl) -> str:
    if why := failed(crawl):
        return f"Crawl: {why}."
    again, processed = crawl["recrawl"], crawl.get("process") or {}
    bare = again.get("without_autothrottle") or {}
    rows = [
        ["pages served (articles, listings, legal pages…)", figure(crawl["html_pages"])],
        ["first crawl, s", figure(again["first_crawl_seconds"])],
        ["recrawl of the unchanged sites, s", figure(again["seconds"])],
        ["recrawl / first crawl", figure(again["ratio"], 3)],
        ["same recrawl without AutoThrottle, s (ratio)", f"{figure(bare.get('seconds'))} ({bare.get('ratio', '–')})"],
        ["articles not asked (sitemap lastmod)", figure(lastmod_skips(again))],
        ["304 / 200 answers in the recrawl", f"{again['not_modified_304']} / {again['ok_200']}"],
        ["pages archived again", figure(again["re_archived"])],
        ["chunks re-embedded by `ess process` after the recrawl", figure(processed.get("re-embedded chunks"))],
    ]
    rounds = len(crawl["rounds"])
    return f"{rounds} alternated rounds of crawling, medians in the stage table.\n\n" + table(["", "value"], rows)


def lastmod_skips(recrawl: dict) -> int:
    return sum(counts.get("unchanged/sitemap_lastmod", 0) for counts in (recrawl.get("by_source") or {}).values())


def iqr(q: dict) -> str:
    """A median and its interquartile range, from ``latency.quartiles``."""
    return f"{q['median']} ({q['q1']}–{q['q3']})"


def endtoend_section(e2e) -> str:
    if why := failed(e2e):
        return f"End to end: {why}."
    if "runs" not in e2e:
        return "End to end: a run of the earlier bench (one run per side); run `--only endtoend`."
    header = ["run", "side", "documents", "chunks", "wall s", "starting s", "docs/s", "docs/s over wall", "cores busy",
              "peak MB"]  # fmt: skip
    rows = [
        [n + 1, side, run["report"].get("processed"), run["report"].get("chunks"), run["seconds"],
         run["seconds starting (imports, models)"], run["docs/s"], run["docs/s over wall time"], run["cores busy"],
         run["peak MB"]]
        for n, pair in enumerate(e2e["runs"]) for side, run in pair.items() if side != "ratio"
    ]  # fmt: skip
    medians = [[side, *(iqr(e2e[side][k]) for k in ("docs/s", "docs/s over wall time", "cores busy"))]
               for side in ("both cores", "one core")]  # fmt: skip
    return (
        f"{len(e2e['runs'])} runs per side, alternated, each into a fresh copy of the crawled archive of "
        f"{e2e['pages']} article pages. docs/s counts the seconds `ess process` reports for processing, models "
        "loaded; the starting seconds (imports, models) are the rest of the wall time.\n\n"
        + table(header, rows)
        + "\n\n"
        + table(["side", "docs/s, median (IQR)", "over wall time", "cores busy"], medians)
        + f"\n\nBoth cores / one core, per pair: **{iqr(e2e['ratio'])}**."
    )


WORKER_SIDES = ("one worker, one core", "two workers, a core each")


def workers_section(workers) -> str:
    if why := failed(workers):
        return f"Distributed processing: {why}."
    header = ["run", "side", "documents", "chunks", "processing s", "docs/s", "CPU s: coordinator / workers / redis",
              "coordinator share of CPU", "coordinator CPU ms per document", "worker PSS MB (main + pool)"]  # fmt: skip
    rows = [
        [n + 1, side, run["processed"], run["chunks"], run["seconds processing"], run["docs/s"],
         " / ".join(str(v) for v in run["cpu seconds"].values()), run["coordinator share of CPU"],
         run["coordinator CPU ms per document, processing"],
         ", ".join(f"{w['PSS MB']} + {pool['PSS MB']}" for w in run["workers"] for pool in w["pool"])]
        for n, pair in enumerate(workers["runs"]) for side, run in pair.items() if side != "ratio"
    ]  # fmt: skip
    medians = [[side, *(iqr(workers[side][k]) for k in ("docs/s", "docs/hour per worker",
                "coordinator share of CPU", "coordinator cores busy"))] for side in WORKER_SIDES]  # fmt: skip
    peak = max(pool["peak MB"] for pair in workers["runs"] for side in WORKER_SIDES
               for w in pair[side]["workers"] for pool in w["pool"])  # fmt: skip
    sizes = workers["runs"][0][WORKER_SIDES[0]]["sizes"]
    return (
        f"{len(workers['runs'])} runs per side, alternated, each into a fresh copy of the crawled archive of "
        f"{workers['pages']} article pages: `ess process --distributed` over a local redis-server, its batches made "
        "by `ess worker` processes pinned with `taskset` to a core each; the coordinator and redis-server are not "
        "pinned and share the workers' cores. docs/s counts the seconds `ess process` reports for processing; the "
        "workers had loaded their models before. CPU seconds are those of the run (the coordinator's include its "
        "start-up).\n\n"
        + table(header, rows)
        + "\n\n"
        + table(
            [
                "side",
                "docs/s, median (IQR)",
                "docs/hour per worker",
                "coordinator share of CPU",
                "coordinator cores busy",
            ],
            medians,
        )  # fmt: skip
        + f"\n\nTwo workers / one worker, per pair: **{iqr(workers['ratio'])}**. A worker's pool process peaked "
        f"at {peak:,} MB resident; PSS divides the pages it shares with its main process between the two.\n\n"
        + f"Size of what was written, {sizes['chunks']:,} chunks, scaled to 100k chunks (MB): "
        + ", ".join(f"{name} {mb:,}" for name, mb in sizes["MB per 100k chunks"].items())
        + "."
    )


def embedding_section(embedding) -> str:
    if why := failed(embedding):
        return f"Embedding paths: {why}."
    if "paths" in embedding:
        return "Embedding paths: a run of the earlier bench (before the ONNX engine); run `--only embedding`."
    speed, queries = embedding["passages/s"], embedding["query ms, one thread"]
    sides = [name for name in queries]
    rows = [[name, iqr(speed[name]), queries[name]["p50"], queries[name]["p95"], embedding["PIAF dense nDCG@10"][name],
             (embedding.get("press dense nDCG@10") or {}).get(name, "–")] for name in sides]  # fmt: skip
    header = ["side", "passages/s, median (IQR)", "query p50 ms", "query p95 ms", "PIAF dense nDCG@10", "press"]
    rounds = len(speed["rounds"])
    return (
        table(header, rows)
        + f"\n\nint8 / fp32 passages per second: {iqr(speed['ratio int8 / fp32'])} over {rounds} ABBA rounds after a "
        f"warm-up ({embedding['timed passages']} PIAF passages, batch {embedding['batch']}, "
        f"{embedding['threads']['passages']} threads; queries on 1 thread). Cosine of the two sides' vectors: "
        f"{iqr(embedding['cosine int8 vs fp32 (200 passages)'])}. `tests/bench/embedding.py` says what each side does."
    )


def latency_runs(latency) -> list[dict]:
    """The latency runs that succeeded."""
    runs = latency if isinstance(latency, list) else [latency]
    return [run for run in runs if isinstance(run, dict) and "index" in run]


def latency_section(latency) -> str:
    runs = latency_runs(latency)
    if not runs:
        return f"Latency: {failed(latency)}."
    blocks = []
    for run in runs:
        index = run["index"]
        build = index.get("build") or {}
        blended = build.get("blended_vectors", 0)
        title = f"**{index['chunks']:,} chunks** ({index['documents']:,} documents"
        random = (build.get("key") or {}).get("vectors")
        title += f"; {random})" if random else f"; {blended:,} blended vectors)" if blended else ")"
        rows = [[f"API `/search` {m}", r["p50"], r["p95"], r["p99"]] for m, r in run["api"].items()]
        rows += [
            [f"API `/search` {m}, the {w['n']} answers with hits", w["p50"], w["p95"], w["p99"]]
            for m, r in run["api"].items()
            if (w := r.get("answers with hits"))
        ]
        rows += [[f"bare {name}", r["p50"], r["p95"], r["p99"]] for name, r in run["bare"].items()]
        cold = (run.get("server") or {}).get("cold pass") or {}
        rows += [
            [f"cold pass, {name} (first {r['n']} queries)", r["p50"], r["p95"], r["p99"]] for name, r in cold.items()
        ]
        blocks.append(title + "\n\n" + table(["ms", "p50", "p95", "p99"], rows) + stages_table(run["api"]))
    return "\n\n".join(blocks)


def stages_table(api: dict) -> str:
    """Where each mode's requests spend their time, from the server's own Server-Timing header."""
    profiles = {mode: r["stages (Server-Timing)"] for mode, r in api.items() if r.get("stages (Server-Timing)")}
    if not profiles:
        return ""
    stages = list(dict.fromkeys(stage for profile in profiles.values() for stage in profile))
    rows = [
        [stage, *(f"{p[stage]['p50']} / {p[stage]['p95']}" if stage in p else "–" for p in profiles.values())]
        for stage in stages
    ]
    header = ["stage (server side), p50 / p95 ms", *profiles]
    return "\n\n" + table(header, rows)


def loadtest_section(load) -> str:
    if why := failed(load):
        return f"Load test: {why}."
    rows = [[load["clients"], load.get("API workers", 1), load["seconds"], load["requests"], load["requests/s"],
             load["p50 ms"], load["p95 ms"], load["p99 ms"], load["errors"], load.get("API peak PSS MB", "–"),
             load.get("API peak MB", "–")]]  # fmt: skip
    header = ["clients", "API workers", "seconds", "requests", "requests/s", "p50 ms", "p95 ms", "p99 ms", "errors",
              "peak PSS MB, summed", "peak RSS MB, summed"]  # fmt: skip
    size = load.get("documents and chunks") or {}
    over = f"Over `{load.get('data')}`: {figure(size.get('documents'))} documents, {figure(size.get('chunks'))} chunks."
    memory = (
        "Peak PSS: the largest sum, sampled every half second, of each process's private pages and its share of"
        " the pages it shares (libraries, the store file every connection maps): the memory the server takes."
        " Peak RSS summed counts a shared page once per process and per mapping: an upper bound."
    )
    return over + "\n\n" + table(header, rows) + "\n\n" + memory


def indexcopy_section(copy) -> str:
    if why := failed(copy):
        return f"Index copy: {why}."
    header = ["side", "copy s", "open s", "first query ms"]
    rows = [
        [side, *(f"{s[k]['median']} ({s[k]['q1']}–{s[k]['q3']})" for k in ("copy s", "open s", "first query ms"))]
        for side, s in copy["summary"].items()
    ]
    disk = copy["disk MB"]
    return (
        f"{copy['chunks']:,} chunks, {disk['total']} MB on disk ({disk['chroma.sqlite3']} MB of it in "
        f"chroma.sqlite3); median (interquartile range) of {copy['rounds']} alternated rounds after a warm-up.\n\n"
        + table(header, rows)
    )


def keywords_section(keywords) -> str:
    if why := failed(keywords):
        return f"Keyword engines: {why}."
    engines = list(keywords["writing"])
    quality = keywords["quality (nDCG@10, PIAF)"]
    rows = [[f"PIAF nDCG@10, {half}", *(quality[e][half] for e in engines)] for half in ("tuning", "held-out")]
    for kind, by_engine in keywords["query ms"].items():
        rows.append([f"{kind}: p50 / p95 ms", *(f"{by_engine[e]['p50']} / {by_engine[e]['p95']}" for e in engines)])
    for what in ("seconds", "chunks/s", "MB on disk"):
        rows.append(
            [f"writing {keywords['chunks']:,} chunks: {what}", *(keywords["writing"][e][what] for e in engines)]
        )
    killed = keywords["kill -9 while writing"]
    rows.append(
        [
            "after kill -9: every commit kept, whole batches only, writes again",
            *("yes" if all(v for k, v in killed[e].items() if isinstance(v, bool)) else "**no**" for e in engines),
        ]
    )
    return (
        f"Same French terms in both, {keywords['hits asked']} hits asked per query, "
        f"{keywords['batch']}-chunk commits (`tests/bench/keywords.py` says what each side does).\n\n"
        + table(["", *engines], rows)
    )


def targets(parts: dict) -> list[list]:
    rows = []
    for stage in stages_rows(parts):
        rows.append([f"{stage[0]} ≥ 0.87 of bare", stage[5], verdict(median_ratio(stage) >= 0.87)])
    e2e = parts.get("endtoend")
    if not failed(e2e) and "runs" in e2e:
        rate, ratio = e2e["both cores"]["docs/s"], e2e["ratio"]
        rows.append(["`ess process` ≥ 3 documents/s, both cores", iqr(rate), verdict(rate["median"] >= 3)])
        rows.append(["both cores ≥ 1.7× one core", iqr(ratio), verdict(ratio["median"] >= 1.7)])
    workers = parts.get("workers")
    if not failed(workers):
        ratio = workers["ratio"]
        rows.append(["two workers on a core each ≥ 1.8× one worker", iqr(ratio), verdict(ratio["median"] >= 1.8)])
        share = workers[WORKER_SIDES[1]]["coordinator share of CPU"]
        rows.append(["(coordinator's share of the CPU, two workers)", iqr(share), "–"])
    rows += embedding_targets(parts.get("embedding"))
    runs = latency_runs(parts.get("latency"))
    if runs:
        largest = max(runs, key=lambda r: r["index"]["chunks"])
        p95, chunks = largest["api"]["hybrid"]["p95"], largest["index"]["chunks"]
        rows.append([f"hybrid p95 ≤ 50 ms at {chunks:,} chunks", f"{p95} ms", verdict(p95 <= 50)])
        p95 = largest["api"]["semantic"]["p95"]
        rows.append([f"semantic p95 ≤ 30 ms at {chunks:,} chunks", f"{p95} ms", verdict(p95 <= 30)])
    load = parts.get("loadtest")
    if not failed(load):
        rows += [
            [f"{load['clients']} clients: ≥ 80 requests/s", load["requests/s"], verdict(load["requests/s"] >= 80)],
            [f"{load['clients']} clients: p95 ≤ 1 s", f"{load['p95 ms']} ms", verdict(load["p95 ms"] <= 1000)],
            [f"{load['clients']} clients: 0 errors", load["errors"], verdict(load["errors"] == 0)],
        ]
        if peak := load.get("API peak PSS MB"):
            rows.append(["API peak memory ≤ 1 GB (PSS summed over its processes)", f"{peak} MB", verdict(peak <= 1024)])
        if peak := load.get("API peak MB"):
            rows.append(["(API peak RSS summed over its processes: shared pages counted in each)", f"{peak} MB", "–"])
    for run in latency_runs(parts.get("keywordlatency")):
        p95 = run["api"]["keyword"]["p95"]
        chunks = run["index"]["chunks"]
        rows.append([f"keyword p95 ≤ 15 ms at {chunks:,} chunks", f"{p95} ms", verdict(p95 <= 15)])
    crawl = parts.get("crawl")
    if not failed(crawl):
        ratio = crawl["recrawl"]["ratio"]
        rows.append(["recrawl ≤ 0.10 of first crawl", ratio, verdict(ratio <= 0.10)])
        again = (crawl.get("process") or {}).get("re-embedded chunks")
        rows.append(["chunks re-embedded after a recrawl = 0", again, verdict(again == 0)])
    return rows


def provenance_section(results: dict) -> str:
    """When, on what and beside what load each part ran: parts of one page may come from different runs."""
    runs = results.get("runs", {})
    rows = []
    for part in results.get("parts", {}):
        run = runs.get(part)
        if run is None:
            rows.append([part, "not recorded: an earlier run, before parts were dated", "–", "–", "–", "–"])
            continue
        cpu = run["machine"]
        rows.append(
            [part, run["started"], run["seconds"], f"{cpu['cpu']}, {cpu['cores']} cores", " ".join(cpu["flags"]),
             f"{run['load average before (1, 5, 15 min)'][0]} → {run['load average after (1, 5, 15 min)'][0]}"]
        )  # fmt: skip
    header = ["part", "started", "seconds", "machine", "CPU flags", "load average (1 min) before → after"]
    return table(header, rows)


def embedding_targets(embedding) -> list[list]:
    if failed(embedding) or "passages/s" not in embedding:
        return []
    ratio, query = embedding["passages/s"]["ratio int8 / fp32"], embedding["query ms, one thread"]["onnx int8"]["p50"]
    rows = [
        ["int8 passages/s ≥ 1.8× torch fp32", iqr(ratio), verdict(ratio["median"] >= 1.8)],
        ["int8 query embedding p50 ≤ 8 ms", f"{query} ms", verdict(query <= 8)],
    ]
    for name in ("PIAF", "press"):
        scores = embedding.get(f"{name} dense nDCG@10") or {}
        if scores:
            loss = round(scores["torch fp32"] - scores["onnx int8"], 4)
            rows.append([f"int8 dense nDCG@10 loss ≤ 0.01, {name}", loss, verdict(loss <= 0.01)])
    return rows


def verdict(met: bool) -> str:
    return "met" if met else "**missed**"


def measured(results: dict) -> str:
    parts, machine = results.get("parts", {}), results.get("machine", {})
    versions = ", ".join(f"{k} {v}" for k, v in machine.get("versions", {}).items())
    return "\n\n".join(
        [
            BEGIN,
            f"Run of {results.get('date', '–')} on {machine.get('cpu', '–')}, {machine.get('cores')} cores, "
            f"{machine.get('memory GiB')} GiB, Python {machine.get('python')}; {versions}. "
            f"Synthetic size (`BENCH_SIZE`): {results.get('size')} article pages.",
            "### Targets\n\n" + table(["target", "measured", ""], targets(parts)),
            "### When and where each part ran\n\n" + provenance_section(results),
            "### Each stage beside its bare library\n\n"
            + table(["stage", "unit", "bare library", "bare", "ours", "ratio", "peak MB"], stages_rows(parts))
            + stage_notes(parts.get("stages"))
            + f"\n\n![throughput]({THROUGHPUT_PLOT})",
            "### Crawl and recrawl\n\n" + crawl_section(parts.get("crawl")),
            "### End to end\n\n" + endtoend_section(parts.get("endtoend")),
            "### Distributed processing: Celery workers\n\n" + workers_section(parts.get("workers")),
            "### Embedding paths on CPU\n\n" + embedding_section(parts.get("embedding")),
            "### `/search` latency through uvicorn\n\n"
            + latency_section(parts.get("latency"))
            + f"\n\n![latency]({LATENCY_PLOT})",
            "### Load test\n\n" + loadtest_section(parts.get("loadtest")),
            "### A reader's private copy of the index\n\n" + indexcopy_section(parts.get("indexcopy")),
            "### Keyword engines: SQLite FTS5 beside tantivy\n\n" + keywords_section(parts.get("keywords")),
            "### Keyword `/search` at 100k chunks\n\n"
            "Over an index whose vectors are random (built in minutes): only the keyword rows mean anything.\n\n"
            + latency_section(parts.get("keywordlatency")),
            END,
        ]
    )


def throughput_plot(parts: dict, path: Path) -> None:
    rows = stages_rows(parts)
    if not rows:
        return
    fig, axes = plt.subplots(1, len(rows), figsize=(3 * len(rows), 3.2))
    for axis, row in zip(axes if len(rows) > 1 else [axes], rows, strict=True):
        bare, ours = (float(str(v).replace(",", "")) for v in (row[3], row[4]))
        axis.bar(["bare", "ours"], [bare, ours], color=["#999999", "#2b6cb0"])
        axis.set_title(f"{row[0]} ({row[1]})\nratio {row[5]}", fontsize=9)
        axis.tick_params(labelsize=8)
    fig.suptitle("Throughput of each stage beside its bare library (same input, same run)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def latency_plot(parts: dict, path: Path) -> None:
    runs = sorted(latency_runs(parts.get("latency")), key=lambda r: r["index"]["chunks"])
    if not runs:
        return
    sizes = [r["index"]["chunks"] for r in runs]
    fig, axis = plt.subplots(figsize=(6.4, 4))
    for mode in MODES:
        axis.plot(sizes, [r["api"][mode]["p95"] for r in runs], marker="o", label=f"API {mode} p95")
    bare = "embed + chroma n=10"
    axis.plot(sizes, [r["bare"][bare]["p95"] for r in runs], marker="s", linestyle="--", label=f"bare {bare} p95")
    axis.axhline(50, color="#c53030", linewidth=0.8, linestyle=":", label="target: hybrid p95 50 ms")
    axis.set_xscale("log")
    axis.set_xlabel("chunks in the index")
    axis.set_ylabel("ms")
    axis.set_title("/search p95 latency against index size", fontsize=10)
    axis.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write(results: dict, folder: Path) -> None:
    """Rewrite the measured part of ``folder``/bench.md and the plots."""
    page = folder / "bench.md"
    text = page.read_text(encoding="utf-8") if page.exists() else "# Benchmarks\n\n"
    block = measured(results)
    if BEGIN in text and END in text:
        text = text[: text.index(BEGIN)] + block + text[text.index(END) + len(END) :]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    page.write_text(text, encoding="utf-8")
    throughput_plot(results.get("parts", {}), folder / THROUGHPUT_PLOT)
    latency_plot(results.get("parts", {}), folder / LATENCY_PLOT)
