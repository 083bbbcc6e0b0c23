"""Duplicates: a press release syndicated on three sites is three documents in one cluster."""

from __future__ import annotations

from crawler.sitehost import SiteHost
from pipeline.processing.duplicates import DuplicateFinder, from_blob, to_blob

RELEASE = (
    "Communiqué. Le réseau des ressourceries et le Coorace annoncent un programme commun pour former au réemploi "
    "deux cents personnes en parcours d'insertion d'ici à la fin de l'année 2026. Les premières sessions "
    "ouvriront à Rennes, Guéret et Bressuire, avec le soutien de France Active et de plusieurs collectivités. "
    "Les structures intéressées peuvent se faire connaître auprès de leur fédération régionale. "
) * 3


def test_same_and_nearly_same_texts_share_a_cluster():
    finder = DuplicateFinder([])
    assert finder.assign("a", RELEASE)[0] == "a"
    assert finder.assign("b", RELEASE.upper())[0] == "a"  # same text, other case
    assert finder.assign("c", "Repris de notre partenaire. " + RELEASE + " Tous droits réservés.")[0] == "a"
    assert finder.assign("d", "Une tout autre histoire de mutuelle et de santé au travail en Creuse. " * 8)[0] == "d"


def test_signatures_survive_storage():
    finder = DuplicateFinder([])
    cluster, digest, signature = finder.assign("a", RELEASE)
    later = DuplicateFinder([("a", cluster, digest, to_blob(signature))])
    assert from_blob(to_blob(signature)).jaccard(signature) == 1.0
    assert later.assign("z", RELEASE + " Mis à jour.")[0] == "a"


def page(site: str, body: str) -> str:
    return (
        f"<html><head><title>{site} — réemploi</title></head><body><nav>{site} : accueil, rubriques</nav>"
        f"<article><h1>Un programme commun pour le réemploi</h1><p>{body}</p></article>"
        f"<footer>© {site}</footer></body></html>"
    )


def test_syndicated_release_shows_once_with_also_on(tmp_path, base_settings, registry, ess, embedder):
    from fastapi.testclient import TestClient

    from pipeline.processing.run import process
    from search_api.app import create_app

    folders = []
    for site in ("un", "deux", "trois"):
        folder = tmp_path / site
        folder.mkdir()
        (folder / "index.html").write_text('<html><body><a href="/communique.html">Communiqué</a></body></html>')
        (folder / "communique.html").write_text(page(site, RELEASE))
        folders.append(folder)
    settings = base_settings.model_copy(update={"data_dir": tmp_path / "data"})
    with SiteHost([(folder, 0) for folder in folders]) as host:
        settings = registry(settings, dict(zip(("un", "deux", "trois"), host.urls(), strict=True)))
        assert ess(settings, "crawl", "--json").returncode == 0
    report = process(settings)
    assert report.counts["duplicates found"] == 2
    with TestClient(create_app(settings)) as client:
        collapsed = client.get("/search", params={"q": "programme commun réemploi ressourceries"}).json()
        everything = client.get("/search", params={"q": "programme commun réemploi ressourceries", "collapse": False})
    assert collapsed["total"] == 1 and len(collapsed["hits"][0]["also_on"]) == 2
    assert {h["source"] for h in everything.json()["hits"]} == {"un", "deux", "trois"}
