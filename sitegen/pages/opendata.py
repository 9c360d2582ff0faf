"""The download folder described for machines: a Frictionless Data Package (`datapackage.json`,
every CSV with its Table Schema and the keys between them), a DCAT catalogue in JSON-LD
(`catalog.jsonld`, which CKAN's ckanext-dcat harvests) and schema.org `Dataset` markup for the
download page (Google Dataset Search)."""

from __future__ import annotations

import json
import re

from ..inputs.config import SiteConfig
from ..inputs.data import Source

PACKAGE_NAME = "datapackage.json"
CATALOG_NAME = "catalog.jsonld"

# Each published CSV: its resource name, title and the type of each column (Table Schema).
TABLES = {
    "cakupan.csv": ("cakupan", "Cakupan per bulan, wilayah dan segmen / Coverage per month, region and segment", {
        "period": {"type": "yearmonth"},
        "region_code": {"type": "string", "constraints": {"required": True}},
        "segment": {"type": "string", "constraints": {"required": True}},
        "covered": {"type": "integer", "constraints": {"required": True, "minimum": 0}},
        "eligible": {"type": "integer", "constraints": {"minimum": 0}},
        "source": {"type": "string", "constraints": {"required": True}},
    }),
    "wilayah.csv": ("wilayah", "Wilayah (Kemendagri) / Regions (Kemendagri)", {
        "code": {"type": "string", "constraints": {"required": True, "unique": True}},
        "name": {"type": "string", "constraints": {"required": True}},
        "level": {"type": "string", "constraints": {
            "required": True, "enum": ["nasional", "provinsi", "kabupaten", "kecamatan", "desa"]}},
        "parent_code": {"type": "string"},
        "kind": {"type": "string"},
    }),
    "segmen.csv": ("segmen", "Segmen pekerja / Segments of workers", {
        "id": {"type": "string", "constraints": {"required": True, "unique": True}},
        "name_id": {"type": "string"}, "name_en": {"type": "string"}, "group": {"type": "string"},
        "programs": {"type": "string"}, "description_id": {"type": "string"}, "description_en": {"type": "string"},
    }),
    "sumber.csv": ("sumber", "Sumber data / Data sources", {
        "id": {"type": "string", "constraints": {"required": True, "unique": True}},
        "publisher": {"type": "string"}, "title": {"type": "string"}, "date": {"type": "date"},
        "url": {"type": "string"}, "illustrative": {"type": "boolean", "trueValues": ["yes"], "falseValues": ["no"]},
        "note": {"type": "string"},
    }),
}
PRIMARY_KEYS = {"cakupan": ["period", "region_code", "segment"], "wilayah": ["code"], "segmen": ["id"],
                "sumber": ["id"]}
FOREIGN_KEYS = {"cakupan": [("region_code", "wilayah", "code"), ("segment", "segmen", "id"),
                            ("source", "sumber", "id")]}
# A region's parent is in wilayah.csv, except the root's (Tanah Bumbu's province is not in the list):
# so parent_code has no foreign key.


def package_name(config: SiteConfig) -> str:
    return re.sub(r"[^a-z0-9._-]+", "-", config.title.id.lower()).strip("-") or "sitegen"


def column_descriptions(dictionary) -> dict[str, dict[str, str]]:
    """file → column → 'Indonesian / English', from the data dictionary (pages.downloads.DICTIONARY)."""
    described = {}
    for name, _, columns in dictionary:
        for names, text in columns:
            for column in names.split(", "):
                described.setdefault(name, {})[column] = f"{text.id} / {text.en}"
    return described


def header(data) -> list[str]:
    start = bytes(data[:65536])
    return start[:start.find(b"\n")].decode("utf-8-sig").strip("\r").split(",")


def data_package(files: dict[str, bytes], config: SiteConfig, sources: list[Source], dictionary) -> bytes:
    """datapackage.json for the CSV files of the download folder (`files` by name)."""
    described = column_descriptions(dictionary)
    resources = []
    for name, (resource, title, types) in TABLES.items():
        data = getattr(files[name], "data", files[name])  # a large file may be a fast.snapshot.LinkedFile
        # A column sitegen does not know (kept as the editor typed it, e.g. the data template's nama_wilayah) is text.
        fields = [{"name": column, **types.get(column, {"type": "string"}),
                   "description": described.get(name, {}).get(column, "")}
                  for column in header(data)]
        schema = {"fields": fields, "missingValues": [""], "primaryKey": PRIMARY_KEYS[resource]}
        if resource in FOREIGN_KEYS:
            schema["foreignKeys"] = [{"fields": [field], "reference": {"resource": other, "fields": [key]}}
                                     for field, other, key in FOREIGN_KEYS[resource]]
        resources.append({
            "name": resource, "path": name, "title": title, "profile": "tabular-data-resource",
            "format": "csv", "mediatype": "text/csv",
            "encoding": "utf-8-sig" if bytes(data[:3]) == b"\xef\xbb\xbf" else "utf-8", "bytes": len(data),
            "dialect": {"delimiter": ",", "header": True}, "schema": schema,
        })
    package = {
        "profile": "tabular-data-package",
        "name": package_name(config),
        "title": config.title.id,
        "description": ("Cakupan BPJS Ketenagakerjaan pekerja desa dan pekerja rentan per wilayah dan bulan. / "
                        "BPJS Ketenagakerjaan coverage of village workers and vulnerable workers by region and month."),
        "homepage": config.base_url,
        "version": config.as_of.isoformat(),
        "licenses": [{"name": license_id(config.license["name"]), "title": config.license["name"],
                      **({"path": config.license["url"]} if config.license.get("url") else {})}],
        "sources": [{"title": f"{s.publisher}: {s.title}", **({"path": s.url} if s.url else {})}
                    for s in sources],
        "keywords": ["BPJS Ketenagakerjaan", "jaminan sosial", "social security", "desa", "Indonesia"],
        "resources": resources,
    }
    if config.contact.get("name") or config.contact.get("email"):
        package["contributors"] = [{"title": config.contact.get("name") or config.contact.get("email"),
                                    "role": "publisher",
                                    **({"email": config.contact["email"]} if config.contact.get("email") else {})}]
    return (json.dumps(package, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def license_id(name: str) -> str:
    """'CC BY 4.0' → 'CC-BY-4.0' (the Open Definition / SPDX identifier the spec asks for)."""
    return re.sub(r"\s+", "-", name.strip())


def dcat_catalog(config: SiteConfig, files: dict[str, bytes], periods: tuple[str, ...], region_name: str,
                 downloads_url: str) -> bytes:
    """A DCAT catalogue (JSON-LD) with one dataset and a distribution per download."""
    publisher = {"@type": "foaf:Organization", "foaf:name": config.contact.get("name") or config.title.id}
    if config.contact.get("email"):
        publisher["foaf:mbox"] = "mailto:" + config.contact["email"]
    media = {".csv": "text/csv", ".zip": "application/zip", ".json": "application/json",
             ".txt": "text/plain"}
    distributions = [{
        "@type": "dcat:Distribution",
        "dct:title": name,
        "dcat:downloadURL": {"@id": downloads_url + name},
        "dcat:accessURL": {"@id": downloads_url},
        "dcat:mediaType": media.get(name[name.rfind("."):], "application/octet-stream"),
        "dcat:byteSize": {"@value": str(len(getattr(data, "data", data))), "@type": "xsd:decimal"},
        "dct:license": {"@id": config.license.get("url") or config.license["name"]},
    } for name, data in sorted(files.items()) if name.endswith((".csv", ".zip", ".json"))]
    dataset = {
        "@id": downloads_url + "#dataset",
        "@type": "dcat:Dataset",
        "dct:identifier": package_name(config),
        "dct:title": [{"@value": config.title.id, "@language": "id"}, {"@value": config.title.en, "@language": "en"}],
        "dct:description": [
            {"@value": f"Cakupan BPJS Ketenagakerjaan pekerja desa dan pekerja rentan di {region_name}, per wilayah "
                       "dan bulan.", "@language": "id"},
            {"@value": f"BPJS Ketenagakerjaan coverage of village and vulnerable workers in {region_name}, by region "
                       "and month.", "@language": "en"}],
        "dcat:keyword": ["BPJS Ketenagakerjaan", "jaminan sosial ketenagakerjaan", "desa", "pekerja rentan"],
        "dct:publisher": publisher,
        "dct:modified": {"@value": config.as_of.isoformat(), "@type": "xsd:date"},
        "dct:language": [{"@id": "http://id.loc.gov/vocabulary/iso639-1/id"},
                         {"@id": "http://id.loc.gov/vocabulary/iso639-1/en"}],
        "dct:spatial": {"@type": "dct:Location", "skos:prefLabel": region_name},
        "dcat:landingPage": {"@id": downloads_url},
        "dct:license": {"@id": config.license.get("url") or config.license["name"]},
        "dcat:distribution": distributions,
    }
    if periods:
        dataset["dct:temporal"] = {"@type": "dct:PeriodOfTime",
                                   "dcat:startDate": {"@value": periods[0], "@type": "xsd:gYearMonth"},
                                   "dcat:endDate": {"@value": periods[-1], "@type": "xsd:gYearMonth"}}
    catalog = {
        "@context": {"dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/",
                     "foaf": "http://xmlns.com/foaf/0.1/", "skos": "http://www.w3.org/2004/02/skos/core#",
                     "xsd": "http://www.w3.org/2001/XMLSchema#"},
        "@id": downloads_url + CATALOG_NAME,
        "@type": "dcat:Catalog",
        "dct:title": config.title.id,
        "dct:publisher": publisher,
        "foaf:homepage": {"@id": config.base_url},
        "dcat:dataset": [dataset],
    }
    return (json.dumps(catalog, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def schema_org_dataset(config: SiteConfig, files: dict[str, bytes], periods: tuple[str, ...], region_name: str,
                       downloads_url: str, page_url: str, lang: str) -> str:
    """schema.org Dataset markup for the download page (JSON, safe inside a <script> element)."""
    title = getattr(config.title, lang)
    description = (f"Cakupan BPJS Ketenagakerjaan pekerja desa (perangkat desa, BPD, LKD, kader posyandu) dan "
                   f"pekerja rentan di {region_name}, per wilayah, segmen dan bulan, dengan kamus data."
                   if lang == "id" else
                   f"BPJS Ketenagakerjaan coverage of village workers (village officials, BPD members, community "
                   f"institutions, posyandu cadres) and vulnerable workers in {region_name}, by region, segment "
                   f"and month, with a data dictionary.")
    dataset = {
        "@context": "https://schema.org",
        "@type": "Dataset",
        "name": title,
        "description": description,
        "url": page_url,
        "inLanguage": lang,
        "isAccessibleForFree": True,
        "license": config.license.get("url") or config.license["name"],
        "dateModified": config.as_of.isoformat(),
        "spatialCoverage": {"@type": "Place", "name": region_name},
        "keywords": ["BPJS Ketenagakerjaan", "jaminan sosial", "desa", "pekerja rentan"],
        "creator": {"@type": "Organization", "name": config.contact.get("name") or config.title.id},
        "distribution": [{"@type": "DataDownload", "encodingFormat": "text/csv" if name.endswith(".csv") else
                          "application/zip", "contentUrl": downloads_url + name}
                         for name in sorted(files) if name.endswith((".csv", ".zip"))],
    }
    if periods:
        dataset["temporalCoverage"] = f"{periods[0]}/{periods[-1]}"
    return json.dumps(dataset, ensure_ascii=False, sort_keys=True).replace("<", "\\u003c")
