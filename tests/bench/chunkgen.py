"""A deterministic synthetic ESS press index for benchmarks: documents, chunks and real embeddings.

    python -m tests.bench.chunkgen [CHUNKS] [--show K]

French ESS-like articles and reports (several sources, publication dates from 2012, syndicated copies)
are written through the project's own code: ``chunk_rows`` and ``chunk_metadata`` of `pipeline.processing.run`,
``Store.save_document`` and ``VectorIndex.replace_documents``, with embeddings from ``get_embedder``,
as ``Processor.write`` does, but without MinHash and without spaCy: the mentions are the generator's own
names (organisations, towns, regions, people, years) found in the text, so facets and hit entities cost what
they cost over a tagged corpus.

Each document is generated from its own seed (``seed:n``), so the first documents are the same for
every size: a larger index extends a smaller one. Above ``REAL_VECTORS`` chunks, embedding every
chunk would take hours on two cores (about 5 chunks/s), so a larger index takes the real vectors of
the cached ``REAL_VECTORS`` index for its first chunks and gives each further chunk a blend of two of
them (normalised sum plus a little noise): the text, the store and FTS5 are real at every size, the
vectors beyond the first ``REAL_VECTORS`` only have the spread of real ones. Fit for latency, never for
quality. The index is cached in
``corpus/data/bench/latency-<CHUNKS>/<model>/`` and reused; an interrupted build resumes (a document
is in the store only once its vectors are in the index, as in ``ess process``).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import random
import re
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.config import PROJECT_ROOT, Settings
from pipeline.entities.gazetteer import load_gazetteer
from pipeline.index.vectors import DocumentVectors
from pipeline.processing.batch import chunk_metadata, chunk_rows, document_id
from pipeline.processing.duplicates import text_hash
from pipeline.processing.run import sync_keywords
from pipeline.records import ChunkRow, Document, Mention
from pipeline.store.writer import Store

BENCH_DIR = PROJECT_ROOT / "corpus" / "data" / "bench"
SEED = 2024
GENERATOR = 2  # bump when the generated text changes: cached indexes of another version are rebuilt
BATCH_CHUNKS = 128  # chunks embedded per call (the embedder batches them again by ESS_EMBEDDING_BATCH_SIZE)
REAL_VECTORS = 10_000  # larger indexes blend these real vectors for their further chunks
EMBEDDING_DIM = 384  # of the default model, for random vectors
BLEND_NOISE = 0.01  # standard deviation of the noise per dimension added to a blend of two unit vectors
FACT_SHARE = 0.3  # sentences that state one of the main theme's facts
COPY_SHARE = 0.03  # documents that are a syndicated copy of an earlier one on another source


@dataclass(frozen=True)
class Theme:
    tag: str
    names: tuple[str, ...]  # ways the press names it: full name, acronym, paraphrase
    facts: tuple[str, ...]  # clauses, lower-case, no final stop
    goals: tuple[str, ...]  # "pour ..." infinitive clauses
    structures: tuple[str, ...]  # first half of a structure's name


THEMES = (
    Theme(
        "ptce",
        (
            "le pôle territorial de coopération économique",
            "le PTCE",
            "le pôle de coopération",
            "la coopération territoriale",
        ),
        (
            "les entreprises du pôle mutualisent un poste de coordination, un local et des fonctions support",
            "le pôle réunit des structures de l'ESS, des PME classiques, des collectivités et un lycée professionnel",
            "coopérer entre acteurs d'un même bassin crée des emplois qui ne se délocalisent pas",
            "l'animation du pôle dépend encore d'appels à projets renouvelés chaque année",
            "dix ans après leur reconnaissance par la loi, une centaine de pôles restent actifs en France",
            "les groupements momentanés d'entreprises permettent aux membres de répondre ensemble aux marchés",
        ),
        (
            "ancrer l'emploi dans la vallée",
            "relocaliser une filière industrielle",
            "mutualiser les compétences entre petites structures",
        ),
        ("Le pôle", "La Coopérative", "Les Ateliers"),
    ),
    Theme(
        "iae",
        ("l'insertion par l'activité économique", "l'IAE", "les structures d'insertion", "les parcours d'insertion"),
        (
            "les chantiers d'insertion accueillent des personnes éloignées de l'emploi pour des contrats de 24 mois",
            "l'accompagnement socioprofessionnel lève les freins de mobilité, de logement et de santé",
            "sept salariés en parcours sur dix trouvent une sortie dynamique, emploi durable ou formation",
            "l'État finance l'aide au poste, dont le montant est revalorisé chaque année",
            "les entreprises d'insertion vendent leurs services aux particuliers comme aux entreprises",
            "les associations intermédiaires mettent des salariés à disposition de clients locaux",
        ),
        (
            "ramener vers l'emploi des chômeurs de longue durée",
            "construire des parcours jusqu'à la qualification",
            "répondre aux besoins de main-d'œuvre des entreprises locales",
        ),
        ("Le chantier d'insertion", "L'entreprise d'insertion", "Les Jardins"),
    ),
    Theme(
        "clause",
        ("la clause sociale", "les clauses sociales d'insertion", "l'achat public responsable", "les marchés réservés"),
        (
            "les acheteurs publics réservent une part des heures de travail des chantiers à des personnes en insertion",
            "un facilitateur des clauses accompagne les entreprises attributaires et suit les heures réalisées",
            "les marchés réservés aux structures d'insertion et aux entreprises adaptées restent sous-utilisés",
            "le code de la commande publique autorise des critères sociaux dans l'attribution des marchés",
            "plusieurs milliers d'heures d'insertion ont été réalisées sur la rénovation des écoles",
        ),
        (
            "réserver des heures de travail à l'insertion",
            "faire de la commande publique un levier d'emploi",
            "ouvrir les marchés aux petites structures solidaires",
        ),
        ("Le groupement", "L'atelier", "La Régie de quartier"),
    ),
    Theme(
        "scic",
        (
            "la société coopérative d'intérêt collectif",
            "la Scic",
            "la coopérative multisociétaire",
            "la gouvernance partagée",
        ),
        (
            "les salariés, les usagers, les collectivités et les bénévoles détiennent ensemble le capital",
            "chaque collège de sociétaires pèse dans les votes de l'assemblée générale",
            "les excédents sont mis en réserves impartageables pour consolider la coopérative",
            "la transformation d'une association en coopérative a demandé deux ans de préparation",
            "les collectivités peuvent détenir jusqu'à la moitié du capital d'une coopérative d'intérêt collectif",
        ),
        (
            "associer habitants et collectivités à la gouvernance",
            "partager le pouvoir entre salariés et usagers",
            "pérenniser un service d'intérêt collectif",
        ),
        ("La Scic", "La Coopérative", "Énergies citoyennes"),
    ),
    Theme(
        "scop",
        (
            "la société coopérative et participative",
            "la Scop",
            "la reprise en coopérative",
            "la transmission aux salariés",
        ),
        (
            "les salariés détiennent la majorité du capital et élisent leur dirigeant",
            "la reprise par les salariés a sauvé une entreprise que le fondateur ne parvenait pas à transmettre",
            "l'union régionale des Scop a accompagné le montage juridique et le plan de financement",
            "une part importante des bénéfices est redistribuée aux salariés sous forme de participation",
            "le taux de survie des coopératives à cinq ans dépasse celui des entreprises classiques",
        ),
        (
            "reprendre leur entreprise en coopérative",
            "éviter la fermeture d'un atelier",
            "transmettre l'entreprise à ceux qui la font vivre",
        ),
        ("Les Menuisiers", "La Scop", "L'Imprimerie"),
    ),
    Theme(
        "finance",
        ("la finance solidaire", "l'épargne solidaire", "les fonds solidaires", "l'investissement à impact social"),
        (
            "les fonds dits 90/10 investissent une part de leurs encours dans des entreprises solidaires",
            "le label Finansol garantit aux épargnants la transparence sur l'usage de leur argent",
            "les encours de l'épargne solidaire ont dépassé plusieurs milliards d'euros",
            "un prêt participatif a complété les fonds propres apportés par les associés",
            "la garantie bancaire de France Active a rassuré la banque sur le prêt d'investissement",
            "les citoyens souscrivent des parts sociales à partir de cent euros",
        ),
        (
            "financer des projets d'utilité sociale",
            "orienter l'épargne vers l'économie locale",
            "renforcer les fonds propres des associations",
        ),
        ("Le club Cigales", "Le fonds territorial", "La Foncière solidaire"),
    ),
    Theme(
        "reemploi",
        ("la ressourcerie", "le réemploi solidaire", "la recyclerie", "l'économie circulaire"),
        (
            "les objets collectés sont triés, réparés puis revendus à petits prix dans la boutique",
            "des tonnes de déchets sont détournées chaque année de l'enfouissement",
            "les valoristes en contrat d'insertion apprennent un métier de la réparation",
            "la collecte des meubles et de l'électroménager se fait aussi à domicile",
            "la boutique attire des clients de tous les âges, étudiants comme familles",
        ),
        (
            "donner une seconde vie aux objets",
            "réduire les déchets du territoire",
            "former aux métiers de la réparation",
        ),
        ("La Ressourcerie", "La Recyclerie", "Le Grenier solidaire"),
    ),
    Theme(
        "tierslieu",
        ("le tiers-lieu", "le lieu hybride", "la fabrique de territoire", "l'espace de travail partagé"),
        (
            "le lieu accueille un espace de travail partagé, un atelier de fabrication et un café associatif",
            "les habitants y trouvent des permanences administratives et des ateliers numériques",
            "le modèle économique repose sur la location des espaces et des prestations de formation",
            "le label de fabrique de territoire apporte une aide de fonctionnement pendant trois ans",
            "la friche réhabilitée est devenue un lieu de rencontre entre artisans et associations",
        ),
        (
            "réinventer la vie d'un bourg rural",
            "rapprocher services publics et initiatives citoyennes",
            "offrir un lieu de travail aux indépendants",
        ),
        ("La Fabrique", "Le Tiers-lieu", "La Grange"),
    ),
    Theme(
        "tzcld",
        (
            "l'expérimentation Territoires zéro chômeur de longue durée",
            "l'entreprise à but d'emploi",
            "l'expérimentation zéro chômeur",
            "le droit à l'emploi",
        ),
        (
            "l'entreprise à but d'emploi embauche en CDI les personnes privées durablement d'emploi",
            "les activités sont choisies pour ne pas concurrencer les entreprises existantes",
            "le comité local pour l'emploi recense les personnes volontaires du territoire",
            "la deuxième loi d'expérimentation a ouvert le dispositif à de nouveaux territoires",
            "le coût de l'emploi est compensé en partie par les dépenses évitées du chômage",
        ),
        (
            "supprimer le chômage de longue durée sur une commune",
            "créer des emplois utiles au territoire",
            "garantir un emploi à chacun",
        ),
        ("L'entreprise à but d'emploi", "La Fabrique à emplois", "L'EBE"),
    ),
    Theme(
        "mutuelle",
        ("la mutuelle", "la mutualité", "la complémentaire santé", "la protection sociale solidaire"),
        (
            "les adhérents élisent les délégués qui votent les cotisations en assemblée générale",
            "la mutuelle place ses réserves dans des fonds qui respectent ses valeurs",
            "la complémentaire santé communale permet aux habitants de payer moins cher",
            "la concurrence des assureurs oblige les mutuelles à se regrouper",
            "la prévention santé occupe une part croissante de l'action mutualiste",
        ),
        (
            "proposer une complémentaire santé accessible",
            "placer ses réserves sans renier ses valeurs",
            "associer les adhérents aux décisions",
        ),
        ("La Mutuelle", "L'Union mutualiste", "La Caisse solidaire"),
    ),
    Theme(
        "energie",
        (
            "l'énergie citoyenne",
            "la centrale villageoise",
            "le parc solaire participatif",
            "la transition énergétique locale",
        ),
        (
            "les habitants deviennent actionnaires des panneaux solaires posés sur les toits de la commune",
            "la production électrique est vendue à un fournisseur d'énergie coopératif",
            "Énergie Partagée a investi aux côtés des citoyens et de la communauté de communes",
            "les bénéfices sont réinvestis dans des actions de sobriété énergétique",
            "l'éolienne citoyenne a été financée par plus de cinq cents souscripteurs",
        ),
        (
            "produire une énergie renouvelable locale",
            "faire des habitants les actionnaires de leur énergie",
            "lutter contre la précarité énergétique",
        ),
        ("Énergies citoyennes", "La Centrale villageoise", "Le Soleil"),
    ),
    Theme(
        "alimentation",
        ("les circuits courts", "l'alimentation durable", "l'épicerie solidaire", "le projet alimentaire territorial"),
        (
            "la cantine scolaire cuisine les légumes d'un maraîchage d'insertion",
            "l'épicerie solidaire vend des produits frais à prix réduit aux familles modestes",
            "le magasin de producteurs approvisionne la restauration collective du canton",
            "les paniers de légumes bio sont livrés chaque semaine aux adhérents",
            "le projet alimentaire territorial fédère agriculteurs, cuisiniers et associations",
        ),
        (
            "rapprocher producteurs et cantines",
            "rendre l'alimentation de qualité accessible à tous",
            "installer de jeunes maraîchers",
        ),
        ("Les Jardins", "L'Épicerie solidaire", "Le Panier"),
    ),
    Theme(
        "dla",
        (
            "le dispositif local d'accompagnement",
            "le DLA",
            "l'accompagnement des associations employeuses",
            "la consolidation des structures",
        ),
        (
            "le chargé de mission réalise un diagnostic partagé avant de mobiliser un consultant",
            "l'accompagnement porte sur le modèle économique, la gouvernance ou la fonction employeur",
            "plusieurs milliers de structures sont accompagnées chaque année en France",
            "le dispositif est porté localement par une association et financé par l'État et la Caisse des dépôts",
        ),
        (
            "consolider les emplois associatifs",
            "revoir le modèle économique d'une association",
            "préparer une fusion entre deux structures",
        ),
        ("L'association", "Le centre social", "Le groupement d'employeurs"),
    ),
    Theme(
        "associations",
        ("la vie associative", "le bénévolat", "les associations employeuses", "l'engagement associatif"),
        (
            "les associations peinent à recruter des bénévoles réguliers depuis la crise sanitaire",
            "la baisse des subventions de fonctionnement fragilise les petites associations employeuses",
            "les appels à projets remplacent peu à peu les conventions pluriannuelles",
            "un salarié sur dix du secteur privé travaille dans une association",
            "le compte d'engagement citoyen valorise les heures de bénévolat des responsables",
        ),
        (
            "fidéliser les bénévoles",
            "sécuriser les financements associatifs",
            "renouveler les instances dirigeantes",
        ),
        ("L'association", "Le Comité", "La Maison des associations"),
    ),
    Theme(
        "loi",
        (
            "la loi du 31 juillet 2014",
            "la loi Hamon",
            "l'agrément ESUS",
            "le statut d'entreprise solidaire d'utilité sociale",
        ),
        (
            "la loi de 2014 a donné une définition légale de l'économie sociale et solidaire",
            "l'agrément entreprise solidaire d'utilité sociale ouvre l'accès à l'épargne salariale solidaire",
            "les sociétés commerciales peuvent rejoindre l'ESS si elles respectent des critères de gouvernance",
            "les chambres régionales de l'ESS ont vu leurs missions reconnues par la loi",
            "la loi a créé le droit d'information préalable des salariés en cas de cession",
        ),
        (
            "obtenir l'agrément ESUS",
            "clarifier le périmètre de l'ESS",
            "évaluer dix ans d'application de la loi",
        ),
        ("La société", "La SAS", "La Fondation"),
    ),
    Theme(
        "handicap",
        (
            "l'entreprise adaptée",
            "l'emploi des travailleurs handicapés",
            "l'ESAT",
            "l'inclusion des personnes handicapées",
        ),
        (
            "l'entreprise adaptée emploie une majorité de travailleurs reconnus handicapés",
            "les contrats de sous-traitance avec l'industrie locale assurent l'essentiel du chiffre d'affaires",
            "les travailleurs d'ESAT peuvent désormais cumuler leur activité avec un emploi en milieu ordinaire",
            "l'obligation d'emploi de six pour cent pousse les entreprises à acheter auprès du secteur protégé",
        ),
        (
            "ouvrir l'emploi aux personnes handicapées",
            "faciliter les passerelles vers le milieu ordinaire",
            "développer la sous-traitance solidaire",
        ),
        ("L'entreprise adaptée", "L'ESAT", "Les Ateliers"),
    ),
    Theme(
        "microcredit",
        ("le microcrédit", "le prêt d'honneur", "la création d'entreprise par les chômeurs", "la microentreprise"),
        (
            "l'Adie finance les créateurs qui n'ont pas accès au crédit bancaire",
            "le prêt d'honneur à taux zéro sert de levier pour obtenir un prêt bancaire",
            "les bénévoles accompagnent les créateurs pendant les premiers mois d'activité",
            "le microcrédit a permis d'acheter un camion pour une activité de restauration ambulante",
        ),
        (
            "aider les chômeurs à créer leur activité",
            "financer les créateurs exclus du crédit",
            "accompagner les premiers mois d'activité",
        ),
        ("La Boutique", "L'Atelier", "La Couveuse"),
    ),
    Theme(
        "mobilite",
        ("la mobilité solidaire", "le garage solidaire", "l'auto-école sociale", "la plateforme de mobilité"),
        (
            "le garage solidaire répare les véhicules des personnes en insertion à prix coûtant",
            "des voitures et des scooters sont loués quelques euros par jour pour aller travailler",
            "l'auto-école sociale adapte la formation au permis aux publics en difficulté",
            "sans voiture, un emploi sur deux reste inaccessible dans les zones rurales",
        ),
        (
            "lever le frein de la mobilité vers l'emploi",
            "rendre le permis de conduire accessible",
            "réparer plutôt que remplacer",
        ),
        ("Le Garage solidaire", "La Plateforme mobilité", "Roue libre"),
    ),
)

ORGS = (
    "le Coorace",
    "Le Labo de l'ESS",
    "l'Avise",
    "le RTES",
    "ESS France",
    "France Active",
    "l'Adie",
    "la Fédération des entreprises d'insertion",
    "le Mouvement associatif",
    "la Confédération générale des Scop et des Scic",
    "France Tiers-Lieux",
    "le Réseau des ressourceries",
    "Emmaüs France",
    "la Mutualité Française",
    "Terre de Liens",
    "FAIR",
    "le Réseau Cocagne",
    "Énergie Partagée",
    "la Banque des Territoires",
    "le Crédit Coopératif",
    "La Nef",
    "France Travail",
    "l'UDES",
    "l'UNEA",
    "Territoires zéro chômeur de longue durée",
    "la Fondation de France",
    "Habitat et Humanisme",
    "Enercoop",
)
FUNDERS = (
    "la Région",
    "l'État",
    "la Banque des Territoires",
    "la Fondation de France",
    "l'ADEME",
    "l'Union européenne",
)
REGIONS = (
    ("Bretagne", "en Bretagne"),
    ("Nouvelle-Aquitaine", "en Nouvelle-Aquitaine"),
    ("Auvergne-Rhône-Alpes", "en Auvergne-Rhône-Alpes"),
    ("Grand Est", "dans le Grand Est"),
    ("Occitanie", "en Occitanie"),
    ("Hauts-de-France", "dans les Hauts-de-France"),
    ("Île-de-France", "en Île-de-France"),
    ("Provence-Alpes-Côte d'Azur", "en Provence-Alpes-Côte d'Azur"),
    ("Normandie", "en Normandie"),
    ("Pays de la Loire", "dans les Pays de la Loire"),
    ("Centre-Val de Loire", "en Centre-Val de Loire"),
    ("Bourgogne-Franche-Comté", "en Bourgogne-Franche-Comté"),
)
# (town, "of" its département, region index, area as used in a structure's name)
TOWNS = (
    ("Rennes", "d'Ille-et-Vilaine", 0, "du Pays de Rennes"),
    ("Lannion", "des Côtes-d'Armor", 0, "du Trégor"),
    ("Quimper", "du Finistère", 0, "de Cornouaille"),
    ("Lorient", "du Morbihan", 0, "du Pays de Lorient"),
    ("Bressuire", "des Deux-Sèvres", 1, "du Bocage"),
    ("Parthenay", "des Deux-Sèvres", 1, "de la Gâtine"),
    ("Niort", "des Deux-Sèvres", 1, "du Marais poitevin"),
    ("Guéret", "de la Creuse", 1, "du Pays creusois"),
    ("Poitiers", "de la Vienne", 1, "du Haut-Poitou"),
    ("Bayonne", "des Pyrénées-Atlantiques", 1, "du Pays basque"),
    ("Romans-sur-Isère", "de la Drôme", 2, "du Pays romanais"),
    ("Die", "de la Drôme", 2, "du Diois"),
    ("Grenoble", "de l'Isère", 2, "du Vercors"),
    ("Lyon", "du Rhône", 2, "de la Vallée de la chimie"),
    ("Saint-Étienne", "de la Loire", 2, "du Forez"),
    ("Sainte-Marie-aux-Mines", "du Haut-Rhin", 3, "du Val d'Argent"),
    ("Mulhouse", "du Haut-Rhin", 3, "du Sundgau"),
    ("Nancy", "de Meurthe-et-Moselle", 3, "du Pays lorrain"),
    ("Toulouse", "de la Haute-Garonne", 4, "du Lauragais"),
    ("Figeac", "du Lot", 4, "du Ségala"),
    ("Montpellier", "de l'Hérault", 4, "des Cévennes"),
    ("Lille", "du Nord", 5, "de la Métropole lilloise"),
    ("Roubaix", "du Nord", 5, "du Pays textile"),
    ("Amiens", "de la Somme", 5, "de la Picardie verte"),
    ("Montreuil", "de la Seine-Saint-Denis", 6, "de l'Est parisien"),
    ("Paris", "de Paris", 6, "du Faubourg"),
    ("Grasse", "des Alpes-Maritimes", 7, "du Pays grassois"),
    ("Marseille", "des Bouches-du-Rhône", 7, "des Calanques"),
    ("Forcalquier", "des Alpes-de-Haute-Provence", 7, "du Luberon"),
    ("Caen", "du Calvados", 8, "du Bessin"),
    ("Alençon", "de l'Orne", 8, "du Perche"),
    ("Nantes", "de la Loire-Atlantique", 9, "de l'Estuaire"),
    ("Angers", "du Maine-et-Loire", 9, "de l'Anjou"),
    ("Saint-Nazaire", "de la Loire-Atlantique", 9, "de la Brière"),
    ("Tours", "d'Indre-et-Loire", 10, "du Val de Loire"),
    ("Bourges", "du Cher", 10, "du Berry"),
    ("Dijon", "de la Côte-d'Or", 11, "de l'Auxois"),
    ("Besançon", "du Doubs", 11, "du Haut-Doubs"),
)
FIRST = (
    ("Élise", "f"),
    ("Claire", "f"),
    ("Nadia", "f"),
    ("Sophie", "f"),
    ("Anne", "f"),
    ("Fatou", "f"),
    ("Martine", "f"),
    ("Léa", "f"),
    ("Hélène", "f"),
    ("Camille", "f"),
    ("Marc", "m"),
    ("Julien", "m"),
    ("Karim", "m"),
    ("Philippe", "m"),
    ("Thomas", "m"),
    ("Yann", "m"),
    ("Bernard", "m"),
    ("Olivier", "m"),
    ("Mathieu", "m"),
    ("Hugo", "m"),
)
LAST = (
    "Garnier",
    "Le Goff",
    "Martin",
    "Benali",
    "Roussel",
    "Fontaine",
    "Diallo",
    "Lemoine",
    "Morel",
    "Girard",
    "Perrin",
    "Chevalier",
    "Laurent",
    "Bonnet",
    "Mercier",
    "Guérin",
    "Colin",
    "Rivière",
    "Lefèvre",
    "Marchand",
)
ROLES = {
    "f": ("directrice", "présidente", "coordinatrice", "chargée de mission", "élue à l'économie sociale et solidaire"),
    "m": ("directeur", "président", "coordinateur", "chargé de mission", "élu à l'économie sociale et solidaire"),
}
QUOTES = (
    "on ne crée pas d'emplois durables sans coopérer avec les autres acteurs du territoire",
    "notre modèle économique reste fragile, chaque année il faut tout recommencer",
    "les habitants ont compris que ce projet leur appartenait",
    "nous avons besoin de financements pluriannuels, pas seulement d'appels à projets",
    "l'emploi dans l'ESS résiste, mais il faut mieux le compter",
    "les collectivités sont devenues nos premiers partenaires",
    "la coopération prend du temps, mais elle tient quand les subventions s'arrêtent",
    "nous voulons prouver qu'une autre façon d'entreprendre est rentable",
)
MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
# name, title, kind, (shortest, longest) length in words, themes it favours
SOURCES = (
    ("ess-mag", "ESS Mag", "html", (180, 1200), ()),
    ("echo-des-territoires", "L'Écho des Territoires", "html", (160, 900), ("ptce", "tzcld", "energie")),
    ("coop-actu", "Coop Actu", "html", (200, 1100), ("scic", "scop", "ptce")),
    ("finance-solidarite", "Finance & Solidarité", "html", (200, 1200), ("finance", "microcredit", "mutuelle")),
    ("achats-responsables", "Achats responsables", "html", (200, 1000), ("clause", "iae", "handicap")),
    ("le-fil-social", "Le Fil social", "html", (150, 800), ("associations", "dla", "iae", "mobilite")),
    ("territoires-en-commun", "Territoires en commun", "html", (200, 1300), ("tierslieu", "alimentation", "reemploi")),
    ("observatoire-ess", "Observatoire de l'ESS", "pdf", (1200, 3200), ("loi", "associations", "finance")),
)
SENTENCES = (
    "À {town}, {struct} s'appuie sur {topic} pour {goal}.",
    "{person}, {role} {of_struct}, résume l'enjeu : « {quote} ».",
    "Le projet a permis de créer {n} emplois depuis {since}, dont {n2} en contrat d'insertion.",
    "{Org} accompagne la démarche aux côtés de la communauté de communes et du département {dept_of}.",
    "Le budget annuel atteint {amount} euros, financé à {pct} % par des recettes d'activité.",
    "La région {region} a inscrit {topic} dans sa stratégie de développement économique.",
    "Selon {org}, {fact}.",
    "{Region_in}, les acteurs {of_topic2} se sont réunis en {month} {year} pour dresser un bilan.",
    "Ici, {fact}, explique {person}.",
    "Les élus suivent de près l'expérience, qui pourrait essaimer dans d'autres communes {dept_of}.",
    "La crise sanitaire a fragilisé plusieurs structures, mais {struct} a maintenu son activité.",
    "{Struct} compte aujourd'hui {n} salariés et {n3} bénévoles.",
    "Le modèle économique reste fragile : les subventions publiques représentent encore {pct} % des ressources.",
    "Une convention pluriannuelle a été signée avec {org2} en {since}.",
    "Les habitants sont associés à la gouvernance, au sein d'un conseil qui se réunit chaque trimestre.",
    "Pour {person}, le choix {of_topic} n'est pas une mode mais une façon de produire autrement.",
    "Le rapport publié par {org} en {year} recense {n4} initiatives de ce type en France.",
    "À {town}, la mairie met à disposition un local de {n4} mètres carrés.",
    "Des partenariats avec des entreprises du bâtiment et de la logistique complètent le dispositif.",
    "Le chiffre d'affaires a progressé de {pct2} % en un an, porté par de nouveaux clients.",
    "La question du financement de la coordination revient dans tous les entretiens.",
    "L'étude de l'observatoire régional de l'ESS {region_in} montre que {fact}.",
    "Les salariés en parcours bénéficient d'un accompagnement social et professionnel renforcé.",
    "{Struct} espère atteindre l'équilibre financier d'ici {later}.",
    "{Org} et {org2} ont organisé une journée d'échanges sur {topic} à {town}.",
    "« Nous voulons montrer l'utilité {of_topic} pour le territoire », insiste {person}.",
    "Le dossier a été retenu dans le cadre d'un appel à projets de {funder}.",
    "Plusieurs collectivités {region_in} s'intéressent désormais {to_topic2}.",
    "Les bénévoles assurent l'accueil le samedi matin et la tenue de la boutique.",
    "En {year}, {fact}.",
    "Au-delà des chiffres, {fact}, rappelle {person}.",
    "Le conseil d'administration a validé un plan d'investissement de {amount} euros sur trois ans.",
    "Un second site doit ouvrir à {town2} avant la fin de l'année {later}.",
    "Sur le terrain, {fact2}.",
    "Les partenaires se retrouvent chaque mois pour décider ensemble des prochaines étapes.",
    "Interrogé, un responsable {of_org2} estime que {fact2}.",
)
TITLES = (
    "À {town}, {struct} mise sur {topic}",
    "{Bare_topic} : {org} plaide pour {goal}",
    "{Bare_topic} : le bilan {year} {region_in}",
    "{Region_in}, l'essor {of_topic}",
    "{person} : « {quote} »",
    "Rapport : {n4} initiatives {of_topic} recensées {region_in}",
    "{Struct} fête ses {age} ans à {town}",
    "{Bare_topic} : comment {struct} a trouvé son modèle économique",
    "{Town} : {struct} veut {goal}",
    "{Bare_topic} et {bare_topic2} : {org} appelle à coopérer",
)
ARTICLES = (("le ", "du ", "au "), ("les ", "des ", "aux "), ("la ", "de la ", "à la "), ("l'", "de l'", "à l'"))


def capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def lower_article(name: str) -> str:
    """Inside a sentence: "La Ressourcerie du Bocage" -> "la Ressourcerie du Bocage"."""
    for article, _, _ in ARTICLES:
        if name.startswith(capital(article)):
            return article + name[len(article) :]
    return name


def contracted(name: str, which: int) -> str:
    """``name`` (with its article) after "de" (which=1: "du PTCE") or "à" (which=2: "aux circuits courts")."""
    for forms in ARTICLES:
        if name.startswith(forms[0]):
            return forms[which] + name[len(forms[0]) :]
    if which == 1 and name[:1] in "AEIOUÉÈaeiouéè":
        return "d'" + name
    return ("de ", "à ")[which - 1] + name


def bare(name: str) -> str:
    """Without its article, capitalised, for a title: "PTCE", "Clause sociale"."""
    for forms in ARTICLES:
        if name.startswith(forms[0]):
            return capital(name[len(forms[0]) :])
    return capital(name)


def mention_pattern() -> re.Pattern:
    """The generator's own names, by label, as a tagger would find them: organisations and funders without
    their article, towns and regions, first name and surname, and years (``DATE``)."""

    def names(values) -> str:
        return "|".join(re.escape(v) for v in sorted(set(values), key=len, reverse=True))

    return re.compile(
        rf"(?P<ORG>\b(?:{names(bare(o) for o in (*ORGS, *FUNDERS))})\b)"
        rf"|(?P<LOC>\b(?:{names([t[0] for t in TOWNS] + [r[0] for r in REGIONS])})\b)"
        rf"|(?P<PER>\b(?:{names(f for f, _ in FIRST)}) (?:{names(LAST)})\b)"
        r"|(?P<DATE>\b(?:19|20)\d\d\b)"
    )


MENTIONS = mention_pattern()


def mentions_of(text: str) -> list[Mention]:
    """The mentions of a generated text, as `ess process` stores them (surface forms as entity names)."""
    return [
        Mention(m.group(), m.lastgroup, m.start(), m.end(), value=m.group() if m.lastgroup == "DATE" else None)
        for m in MENTIONS.finditer(text)
    ]


@dataclass
class Planned:
    doc: Document
    chunks: list[ChunkRow]


def article_text(rng: random.Random, theme: Theme, other: Theme, words: int, year: int) -> tuple[str, str, str]:
    """(title, text, author) of one article about ``theme`` (and a bit of ``other``)."""
    town, dept_of, region_index, area = rng.choice(TOWNS)
    region, region_in = REGIONS[region_index]
    first, gender = rng.choice(FIRST)
    person = f"{first} {rng.choice(LAST)}"
    org, org2 = rng.sample(ORGS, 2)
    head = rng.choice(theme.structures)
    of_town = f"d'{town}" if town[0] in "AEIOUÉ" else f"de {town}"
    struct = f"{head} {of_town if rng.random() < 0.5 else area}"
    since = rng.randint(max(2005, year - 12), year)

    fixed = {
        "town": town,
        "dept_of": dept_of,
        "region": region,
        "region_in": region_in,
        "person": person,
        "org": org,
        "org2": org2,
        "of_org2": contracted(org2, 1),
        "struct": lower_article(struct),
        "of_struct": contracted(lower_article(struct), 1),
        "year": str(year),
        "since": str(since),
    }
    drawn = {  # drawn again for every sentence, only when the sentence uses them
        "town2": lambda s: rng.choice(TOWNS)[0],
        "role": lambda s: rng.choice(ROLES[gender]),
        "topic": lambda s: rng.choice(s.theme.names),
        "of_topic": lambda s: contracted(s["topic"], 1),
        "bare_topic": lambda s: bare(s["topic"]),
        "topic2": lambda s: rng.choice(other.names),
        "of_topic2": lambda s: contracted(s["topic2"], 1),
        "to_topic2": lambda s: contracted(s["topic2"], 2),
        "bare_topic2": lambda s: bare(s["topic2"]),
        "goal": lambda s: rng.choice(s.theme.goals),
        "fact": lambda s: rng.choice(s.theme.facts),
        "fact2": lambda s: rng.choice(other.facts if rng.random() < 0.5 else theme.facts),
        "quote": lambda s: rng.choice(QUOTES),
        "funder": lambda s: rng.choice(FUNDERS),
        "month": lambda s: rng.choice(MONTHS),
        "later": lambda s: str(year + rng.randint(1, 4)),
        "n": lambda s: str(rng.randint(3, 60)),
        "n2": lambda s: str(rng.randint(1, int(s["n"]))),
        "n3": lambda s: str(rng.randint(5, 120)),
        "n4": lambda s: str(rng.randint(12, 900)),
        "amount": lambda s: f"{rng.randint(40, 3000) * 1000:,}".replace(",", "\u202f"),
        "pct": lambda s: str(rng.randint(15, 85)),
        "pct2": lambda s: str(rng.randint(2, 40)),
        "age": lambda s: str(rng.randint(5, 40)),
    }

    class Slots(dict):
        """One sentence's values, drawn on first use; "Org" is "org" capitalised, "Struct" the name as is."""

        def __init__(self):
            super().__init__(fixed, Struct=struct)
            self.theme = theme if rng.random() < 0.75 else other

        def __missing__(self, key: str) -> str:
            self[key] = drawn[key](self) if key in drawn else capital(self[key[0].lower() + key[1:]])
            return self[key]

    def slots() -> Slots:
        return Slots()

    title = rng.choice(TITLES).format_map(slots())
    paragraphs, count, previous = [], 0, None
    while count < words:
        sentences = []
        for _ in range(rng.randint(3, 6)):
            if rng.random() < FACT_SHARE:
                sentences.append(capital(rng.choice(theme.facts)) + ".")
                continue
            template = rng.choice(SENTENCES)
            while template == previous:
                template = rng.choice(SENTENCES)
            previous = template
            sentences.append(capital(template.format_map(slots())))
        paragraphs.append(" ".join(sentences))
        count += len(paragraphs[-1].split())
    return title, "\n".join(paragraphs), person


def is_copy(seed: int, n: int) -> bool:
    return n >= 10 and random.Random(f"{seed}:copy:{n}").random() < COPY_SHARE


def make_document(url: str, source: tuple, title: str, text: str, author: str, published: str, tags: str) -> Document:
    name, site, kind, _, _ = source
    doc_id = document_id(url)
    return Document(
        id=doc_id,
        url=url,
        source=name,
        kind=kind,
        text=text,
        raw_hash=hashlib.sha256(f"{url}\n{text}".encode()).hexdigest(),
        title=title,
        author=author if kind == "html" else None,
        published=published,
        sitename=site,
        description=text.split(". ")[0][:200],
        fetched_at=f"{published}T08:00:00Z",
        language="fr",
        text_hash=text_hash(text),
        cluster=doc_id,
        tags=tags,
    )


def original(seed: int, n: int) -> Document:
    """Document ``n`` as first published (never a copy)."""
    rng = random.Random(f"{seed}:{n}")
    source = rng.choice(SOURCES)
    name, _, kind, (shortest, longest), favoured = source
    pool = [t for t in THEMES if t.tag in favoured] if favoured and rng.random() < 0.6 else list(THEMES)
    theme = rng.choice(pool)
    other = rng.choice([t for t in THEMES if t is not theme])
    year = min(2026, 2012 + int(rng.triangular(0, 15, 12)))
    month, day = rng.randint(1, 10 if year == 2026 else 12), rng.randint(1, 28)
    title, text, author = article_text(rng, theme, other, rng.randint(shortest, longest), year)
    url = f"https://{name}.example/{year}/{month:02d}/{theme.tag}-{n}." + ("pdf" if kind == "pdf" else "html")
    return make_document(url, source, title, text, author, f"{year}-{month:02d}-{day:02d}", json.dumps([theme.tag]))


def document(seed: int, n: int) -> Document:
    """Document ``n``: an original or (COPY_SHARE of them) an earlier original syndicated on another source."""
    if not is_copy(seed, n):
        return original(seed, n)
    rng = random.Random(f"{seed}:copyof:{n}")
    m = next((m for m in (rng.randrange(n) for _ in range(20)) if not is_copy(seed, m)), 0)
    first = original(seed, m)
    source = rng.choice([s for s in SOURCES if s[0] != first.source and s[2] == "html"])
    url = f"https://{source[0]}.example/reprise/{n}.html"
    copy = make_document(url, source, first.title, first.text, first.author, first.published, first.tags)
    copy.cluster = first.id  # as DuplicateFinder names a cluster: by the first document with that text
    return copy


def plan(chunks: int, seed: int = SEED) -> Iterator[Planned]:
    """Documents in order, with their chunks, until there are exactly ``chunks`` chunks (the last one cut)."""
    total, n = 0, 0
    while total < chunks:
        doc = document(seed, n)
        rows = chunk_rows(doc)
        missing = chunks - total
        if len(rows) > missing:  # cut the text after the chunk that completes the count
            doc.text = doc.text[: rows[missing - 1].end]
            doc.text_hash, doc.cluster = text_hash(doc.text), doc.id
            rows = chunk_rows(doc)
        total += len(rows)
        n += 1
        yield Planned(doc, rows)


def slug(model: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in model.strip("/")).strip("._") or "model"


def cache_folder(chunks: int, model: str, random_vectors: bool = False) -> Path:
    return BENCH_DIR / f"latency-{chunks}{'-random' if random_vectors else ''}" / slug(model)


def embedding_input(doc: Document, chunk: ChunkRow) -> str:
    """What ``BatchMaker.embed`` embeds for a chunk (``Batch.inputs``)."""
    return f"{doc.title or ''}\n{chunk.text}".strip()


def metadatas(planned: Planned) -> list[dict]:
    return [chunk_metadata(planned.doc, chunk) for chunk in planned.chunks]


class VectorPool:
    """The real vectors of a cached index by chunk id, and blends of them for chunks it does not have."""

    def __init__(self, settings: Settings, seed: int):
        from pipeline.embed.embedder import embedder_name, get_embedder
        from pipeline.index.vectors import VectorIndex

        index = VectorIndex(settings, embedder_name(settings), get_embedder(settings).dim)
        self.by_id: dict[str, np.ndarray] = {}
        for offset in range(0, index.count(), 5000):
            got = index.collection.get(limit=5000, offset=offset, include=["embeddings"])
            self.by_id.update(zip(got["ids"], np.asarray(got["embeddings"], dtype=np.float32), strict=True))
        self.matrix = np.stack(list(self.by_id.values()))
        self.rng = np.random.default_rng(seed)

    def vectors(self, chunk_ids: list[str]) -> np.ndarray:
        return np.stack([self.by_id[i] if i in self.by_id else self.blend() for i in chunk_ids])

    def blend(self) -> np.ndarray:
        first, second = self.matrix[self.rng.integers(len(self.matrix), size=2)]
        vector = first + second + self.rng.normal(0.0, BLEND_NOISE, self.matrix.shape[1])
        return (vector / np.linalg.norm(vector)).astype(np.float32)


class RandomVectors:
    """Random unit vectors for every chunk: an index fit for timing keyword search only."""

    def __init__(self, dim: int, seed: int):
        self.by_id: dict[str, np.ndarray] = {}  # no real vector
        self.dim, self.rng = dim, np.random.default_rng(seed)

    def vectors(self, chunk_ids: list[str]) -> np.ndarray:
        vectors = self.rng.standard_normal((len(chunk_ids), self.dim)).astype(np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


class Builder:
    """Writes planned documents as ``Processor.write`` does: vectors first, then the store, then the
    keyword index (filled again on opening when an interrupted build left it behind the store)."""

    def __init__(self, settings: Settings, pool: VectorPool | None = None):
        from pipeline.embed.embedder import get_embedder
        from pipeline.index.keywords import KeywordIndex
        from pipeline.index.vectors import VectorIndex

        started = time.perf_counter()
        self.embedder = get_embedder(settings)
        self.load_seconds = time.perf_counter() - started
        self.store = Store(settings.store_db)
        self.store.sync_gazetteer(load_gazetteer(settings.gazetteer))
        self.index = VectorIndex(settings, self.embedder.name, self.embedder.dim, create=True)
        self.keywords = KeywordIndex(settings)
        sync_keywords(self.store, self.keywords)
        self.seconds = {"embed": 0.0, "index": 0.0, "store": 0.0}
        self.pool = pool

    def done(self) -> set[str]:
        return {row[0] for row in self.store.db.execute("SELECT id FROM documents")}

    def write(self, batch: list[Planned]) -> None:
        started = time.perf_counter()
        if self.pool:
            vectors = self.pool.vectors([c.id for p in batch for c in p.chunks])
        else:
            vectors = self.embedder.passages([embedding_input(p.doc, c) for p in batch for c in p.chunks])
        self.seconds["embed"] += time.perf_counter() - started
        started = time.perf_counter()
        bounds = list(itertools.accumulate((len(p.chunks) for p in batch), initial=0))
        self.index.replace_documents(
            [
                DocumentVectors(p.doc.id, [c.id for c in p.chunks], vectors[a:b], metadatas(p))
                for p, (a, b) in zip(batch, itertools.pairwise(bounds), strict=True)
            ]
        )
        written = time.perf_counter()
        for p in batch:
            self.store.save_document(p.doc, p.chunks, mentions_of(p.doc.text))
        doc_ids = [p.doc.id for p in batch]
        self.keywords.replace_documents(doc_ids, self.store.keyword_rows(doc_ids=doc_ids))
        self.seconds["index"] += written - started
        self.seconds["store"] += time.perf_counter() - written


def build_index(
    chunks: int,
    base: Settings | None = None,
    seed: int = SEED,
    say: Callable[[str], None] | None = None,
    random_vectors: bool = False,
) -> tuple[Settings, dict]:
    """The cached synthetic index of ``chunks`` chunks for the configured model: (its settings, build record).

    Built, or its interrupted build resumed, when absent; rebuilt when another generator or seed made it. With
    ``random_vectors`` every vector is random (minutes instead of hours at 100k chunks): fit for keyword timing.
    """
    say = say or (lambda line: print(line, file=sys.stderr, flush=True))
    base = base or Settings()
    folder = cache_folder(chunks, base.embedding_model, random_vectors)
    settings = base.model_copy(update={"data_dir": folder, "chroma_host": None})
    key = {"chunks": chunks, "model": base.embedding_model, "engine": base.embedding_engine, "seed": seed}
    key["generator"] = GENERATOR
    pool = None
    if random_vectors:
        key["vectors"] = "random unit vectors"
        pool = RandomVectors(EMBEDDING_DIM, seed)
    elif chunks > REAL_VECTORS:
        key["real vectors"] = REAL_VECTORS
        pool = VectorPool(build_index(REAL_VECTORS, base, seed, say)[0], seed)
    record_path = folder / "build.json"
    record = json.loads(record_path.read_text()) if record_path.exists() else None
    if record and record.get("key") == key and record.get("complete"):
        Store(settings.store_db).close()  # brings a store built before a schema change up to date
        return settings, record
    if folder.exists() and (record is None or record.get("key") != key):
        say(f"removing {folder}: not built by this generator, seed and model")
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    before = (record or {}).get("seconds", {})  # of the interrupted sessions, when resuming
    loads = (record or {}).get("load_average", []) + [{"start": os.getloadavg()}]  # the machine's other work
    sessions = (record or {}).get("sessions", 0) + 1
    record = {"key": key, "complete": False, "sessions": sessions, "seconds": before, "load_average": loads}
    record_path.write_text(json.dumps(record, indent=1))

    builder = Builder(settings, pool)
    done = builder.done()
    say(f"building {chunks} chunks in {folder} ({len(done)} documents already there)")
    started = time.perf_counter()
    present, written, documents, batch = 0, 0, 0, []

    def seconds() -> dict[str, float]:
        now = {**builder.seconds, "total": time.perf_counter() - started}
        now["generate, chunk and other"] = now["total"] - now["embed"] - now["index"] - now["store"]
        return {k: round(before.get(k, 0.0) + v, 2) for k, v in now.items()}

    for planned in plan(chunks, seed):
        documents += 1
        if planned.doc.id in done:
            present += len(planned.chunks)
            continue
        batch.append(planned)
        size = sum(len(p.chunks) for p in batch)
        if size >= BATCH_CHUNKS:
            builder.write(batch)
            written, batch = written + size, []
            rate = written / (time.perf_counter() - started)
            left = chunks - present - written
            say(f"  {chunks - left}/{chunks} chunks, {rate:.1f} chunks/s, about {left / rate / 60:.0f} min left")
            record_path.write_text(json.dumps({**record, "seconds": seconds()}, indent=1))
    if batch:
        builder.write(batch)
    counts, vectors = builder.store.counts(), builder.index.count()
    real = sum(row[0] in pool.by_id for row in builder.store.db.execute("SELECT id FROM chunks")) if pool else chunks
    builder.store.close()
    if counts["chunks"] != chunks or vectors != chunks or counts["documents"] != documents:
        raise RuntimeError(f"built {counts} and {vectors} vectors, expected {chunks} chunks and {documents} documents")
    total = seconds()
    loads[-1]["end"] = os.getloadavg()
    record.update(
        complete=True,
        documents=documents,
        chunks=chunks,
        vectors=vectors,
        model=builder.embedder.name,
        dim=builder.embedder.dim,
        embedding_batch_size=builder.embedder.batch_size,
        model_load_seconds=round(builder.load_seconds, 2),
        seconds=total,
        real_vectors=real,
        blended_vectors=chunks - real,
        embedded_chunks_per_second=None if pool or not total["embed"] else round(chunks / total["embed"], 2),
        data_dir=str(folder.relative_to(PROJECT_ROOT)) if folder.is_relative_to(PROJECT_ROOT) else str(folder),
    )
    record_path.write_text(json.dumps(record, indent=1))
    return settings, record


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("chunks", nargs="?", type=int, default=10_000, help="Chunks in the index (default 10000).")
    parser.add_argument("--show", type=int, default=0, help="Print the first K documents instead of building.")
    args = parser.parse_args()
    if args.show:
        for i, planned in enumerate(plan(args.chunks)):
            if i >= args.show:
                break
            d = planned.doc
            print(f"# {d.title}\n{d.source} {d.published} {d.url} {len(planned.chunks)} chunks\n{d.text[:600]}…\n")
    else:
        print(json.dumps(build_index(args.chunks)[1], indent=1))
