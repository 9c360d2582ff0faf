/* Site search: reads the static index written by sitegen/search.py, a few small files per query.
 *
 * The index lives at the URL in this script's data-index attribute (relative to the page):
 * meta.json (normalisation tables, list of word shards), t/<first 3 letters>.json (word shards),
 * d/<n>.json (documents by number) and g/<n>.json (documents by place). Every step below mirrors
 * a function of sitegen/search.py, which the tests use as the reference.
 * Texts shown to the reader come from data-text-* attributes of #search-results (translated by
 * the template). No inline script, no eval: the page's CSP is script-src 'self'.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var base = (script && script.getAttribute("data-index")) || "index/";
  var form = document.querySelector("form.search-form");
  var input = form && form.querySelector("input[name=q]");
  var box = document.getElementById("search-results");
  if (!form || !input || !box || !window.fetch || !window.Promise) return;
  var status = box.querySelector(".search-status");
  var list = box.querySelector(".search-list");
  var lang = document.documentElement.getAttribute("lang") || "id";
  var PAGE = 20;

  var has = function (object, key) { return Object.prototype.hasOwnProperty.call(object, key); };
  var files = {};     // name → Promise of parsed JSON
  var meta = null;    // parsed meta.json
  var existing = {};  // shard name → true
  var shards = {};    // shard name → {word: [title values, groups]}
  var groupOf = {};   // document → group, for the documents of the shards read
  var groupSize = {};
  var run = 0;        // the latest search; older ones stop when they notice
  var current = null; // what is shown: {query, outcome, limit, shown}
  var slow = null;    // timer of the "searching" message

  function text(name, values) {
    var template = box.getAttribute("data-text-" + name) || "";
    return template.replace(/\{(\w+)\}/g, function (all, key) {
      var value = values && has(values, key) ? values[key] : all;
      return typeof value === "number" ? value.toLocaleString(lang) : String(value);
    });
  }

  function get(name) {
    if (!has(files, name)) {
      var url = base + name + (meta && meta.version ? "?v=" + meta.version : "");
      files[name] = fetch(url, name === "meta.json" ? {cache: "no-cache"} : {}).then(function (response) {
        if (!response.ok) throw new Error(name + ": " + response.status);
        return response.json();
      });
      files[name]["catch"](function () { delete files[name]; });  // a failed file is asked for again next time
    }
    return files[name];
  }

  // Normalisation: search.py's tokens(). NFKD, lower case, accents off, runs of a-z0-9.
  function tokens(value) {
    var s = String(value);
    if (s.normalize) s = s.normalize("NFKD");
    s = s.toLowerCase().replace(/[\u0300-\u036f]+/g, "");
    return s.match(/[a-z0-9]+/g) || [];
  }

  // search.py's query_words(): kind words dropped unless nothing else is left.
  function queryWords(query) {
    var words = tokens(query), stop = meta.stopwords, kept = [];
    for (var i = 0; i < words.length; i++) {
      var w = words[i], isStop = stop.indexOf(w) >= 0;
      if (!isStop && i === words.length - 1 && w.length >= meta.min_prefix) {
        for (var j = 0; j < stop.length; j++) if (stop[j].indexOf(w) === 0) isStop = true;
      }
      if (!isStop) kept.push(w);
    }
    return (kept.length ? kept : words).slice(0, meta.max_words);
  }

  // search.py's _alternatives(): [text, prefix?] as typed and with variants mapped.
  function alternatives(words) {
    var raw = words.join(""), mapped = "";
    for (var i = 0; i < words.length; i++) mapped += has(meta.variants, words[i]) ? meta.variants[words[i]] : words[i];
    var alts = [[raw, raw.length >= meta.min_prefix]];
    if (mapped !== raw) alts.push([mapped, mapped.length >= meta.min_prefix]);
    return alts;
  }

  // search.py's query_plan(): the whole query as one name, and its readings as terms.
  function plan(words) {
    var single = words.map(function (w) { return alternatives([w]); });
    var readings = [single];
    for (var i = 0; i + 1 < words.length; i++) {
      readings.push(single.slice(0, i).concat([alternatives(words.slice(i, i + 2))], single.slice(i + 2)));
    }
    if (words.length >= 3) readings.push([alternatives(words)]);
    return {whole: alternatives(words), readings: readings};
  }

  function undelta(deltas) {
    var out = new Array(deltas.length), total = 0;
    for (var i = 0; i < deltas.length; i++) out[i] = total += deltas[i];
    return out;
  }

  function loadShard(name) {
    if (has(shards, name)) return Promise.resolve();
    if (!existing[name]) { shards[name] = {}; return Promise.resolve(); }
    return get("t/" + name + ".json").then(function (raw) {
      if (has(shards, name)) return;
      var words = {}, table = raw["@"], numbers = undelta(table[0]);
      for (var i = 0; i < numbers.length; i++) groupOf[numbers[i]] = table[1][i];
      Object.keys(raw).forEach(function (word) {
        if (word === "@") return;
        var lists = raw[word], groups = lists.length > 1 ? undelta(lists[1]) : [];
        for (var j = 0; j < groups.length; j++) groupSize[groups[j]] = lists[2][j];
        words[word] = [undelta(lists[0]), groups];
      });
      shards[name] = words;
    });
  }

  // search.py's shard_of(): the shard of the words that start with `value`.
  function shardOf(value) {
    var name = value.slice(0, meta.shard_prefix);
    return value.length > name.length && has(meta.split, name) ? value.slice(0, name.length + 1) : name;
  }

  // _Index.matching(): the entries of the words an alternative matches.
  function matching(alts) {
    var found = [];
    alts.forEach(function (alt) {
      var words = shards[shardOf(alt[0])] || {};
      if (alt[1]) {
        for (var word in words) if (has(words, word) && word.indexOf(alt[0]) === 0) found.push(words[word]);
      } else if (has(words, alt[0])) {
        found.push(words[alt[0]]);
      }
    });
    return found;
  }

  // _Index.names(): documents whose whole name an alternative matches (title value 3n + 1).
  function names(alts) {
    var out = {};
    matching(alts).forEach(function (entry) {
      var values = entry[0];
      for (var i = 0; i < values.length; i++) if (values[i] % 3 === 1) out[Math.floor(values[i] / 3)] = true;
    });
    return out;
  }

  // _Index.term(): documents with the word in their title, in their text; groups with it in their context.
  function term(alts) {
    var docs = {}, texts = {}, groups = {};
    matching(alts).forEach(function (entry) {
      var values = entry[0], gs = entry[1], i;
      for (i = 0; i < values.length; i++) (values[i] % 3 === 2 ? texts : docs)[Math.floor(values[i] / 3)] = true;
      for (i = 0; i < gs.length; i++) groups[gs[i]] = true;
    });
    return {docs: docs, texts: texts, groups: groups};
  }

  function level(firsts, n) {  // bisect_right: firsts[i] is the first group (or document) of level i
    var i = 0;
    while (i < firsts.length && firsts[i] <= n) i++;
    return i;
  }

  function keys(set) { return Object.keys(set).map(Number).sort(function (a, b) { return a - b; }); }

  function intersect(sets) {
    var out = {};
    for (var key in sets[0]) {
      if (!has(sets[0], key)) continue;
      var all = true;
      for (var i = 1; i < sets.length && all; i++) all = has(sets[i], key);
      if (all) out[key] = true;
    }
    return out;
  }

  // search.py's _evaluate(): the ranked documents, then the rest (groups, or documents).
  function evaluate(words) {
    var p = plan(words);
    var exact = names(p.whole.map(function (alt) { return [alt[0], false]; }));
    var start = names(p.whole), titled = {}, pure = {}, mixed = {}, key;
    p.readings.forEach(function (terms) {
      var found = terms.map(term);
      var t = intersect(found.map(function (f) { return f.docs; }));
      var g = intersect(found.map(function (f) { return f.groups; }));
      for (key in t) if (has(t, key)) titled[key] = true;
      for (key in g) if (has(g, key)) pure[key] = true;
      found.forEach(function (f) {
        [f.docs, f.texts].forEach(function (set) {
          for (var number in set) {
            if (!has(set, number) || has(mixed, number)) continue;
            var gid = groupOf[number], all = true;
            for (var i = 0; i < found.length && all; i++) {
              all = has(found[i].docs, number) || has(found[i].texts, number) || has(found[i].groups, gid);
            }
            if (all) mixed[number] = true;
          }
        });
      });
    });
    var top = {}, ranked = [];
    [["exact", exact], ["start", start], ["title", titled]].forEach(function (pair) {
      keys(pair[1]).forEach(function (n) {
        if (!has(top, n)) { top[n] = true; ranked.push([n, pair[0]]); }
      });
    });
    var rest = [], overlap = {}, total = ranked.length;
    keys(mixed).forEach(function (n) {
      if (has(top, n) || has(pure, groupOf[n])) return;
      rest.push({doc: n, count: 1, order: [level(meta.doc_levels, n), 1, n]});
      total++;
    });
    ranked.forEach(function (r) {
      var gid = groupOf[r[0]];
      if (has(pure, gid)) overlap[gid] = (overlap[gid] || 0) + 1;
    });
    keys(pure).forEach(function (g) {
      var count = groupSize[g] - (overlap[g] || 0);
      total += count;
      if (count > 0) rest.push({gid: g, count: count, order: [level(meta.levels, g), 0, g]});
    });
    // The rest by level; in a level, the places whose context has every word first.
    rest.sort(function (a, b) { return a.order[0] - b.order[0] || a.order[1] - b.order[1] || a.order[2] - b.order[2]; });
    return {ranked: ranked, top: top, rest: rest, total: total};
  }

  // search.py's _results(): what the first `limit` results show.
  function results(outcome, limit) {
    var chunk = meta.chunk, wanted = {}, shown = [], taken = 0, i;
    var chunkOf = function (n) { return "d/" + Math.floor(n / chunk) + ".json"; };
    var ranked = outcome.ranked.slice(0, limit), rest = [];
    ranked.forEach(function (r) { wanted[chunkOf(r[0])] = true; });
    for (i = 0; i < outcome.rest.length && ranked.length + taken < limit; i++) {
      var r = outcome.rest[i];
      rest.push(r);
      wanted[r.gid === undefined ? chunkOf(r.doc) : "g/" + r.gid + ".json"] = true;
      taken += r.count;
    }
    var names = Object.keys(wanted);
    return Promise.all(names.map(get)).then(function (loaded) {
      var byName = {};
      names.forEach(function (name, k) { byName[name] = loaded[k]; });
      var add = function (n, match) {
        var doc = byName[chunkOf(n)][n % chunk];
        shown.push({title: doc[0], kind: meta.kinds[doc[1]], path: doc[2], context: doc[3], match: match});
      };
      ranked.forEach(function (r) { add(r[0], r[1]); });
      rest.forEach(function (r) {
        if (shown.length >= limit) return;
        if (r.gid === undefined) { add(r.doc, "context"); return; }
        var file = byName["g/" + r.gid + ".json"], members = file[1];
        for (var j = 0; j < members.length && shown.length < limit; j++) {
          var m = members[j];
          if (has(outcome.top, m[0])) continue;
          shown.push({title: m[1], kind: meta.kinds[m[2]], path: m[3], context: file[0], match: "context"});
        }
      });
      return shown;
    });
  }

  function loadMeta() {
    if (meta) return Promise.resolve();
    return get("meta.json").then(function (m) {
      if (meta) return;
      meta = m;
      Object.keys(m.shards).forEach(function (head) {
        var tails = m.shards[head];
        for (var i = 0; i < tails.length; i++) existing[head + (tails[i] === " " ? "" : tails[i])] = true;
      });
      Object.keys(m.split).forEach(function (name) {
        for (var i = 0; i < m.split[name].length; i++) existing[name + m.split[name][i]] = true;
      });
    });
  }

  // Shows the first `limit` results for `query`; resolves once they are on the page.
  function search(query, limit) {
    var mine = ++run;
    if (!tokens(query).length) { show(null); return Promise.resolve(); }
    box.setAttribute("aria-busy", "true");
    clearTimeout(slow);  // "Searching…" only if it takes a while: not at every key
    slow = setTimeout(function () { if (mine === run) status.textContent = text("searching"); }, 400);
    return loadMeta().then(function () {
      var words = queryWords(query), p = plan(words), needed = {}, alts = p.whole.slice();
      p.readings.forEach(function (terms) { terms.forEach(function (t) { alts = alts.concat(t); }); });
      alts.forEach(function (alt) { needed[shardOf(alt[0])] = true; });
      return Promise.all(Object.keys(needed).map(loadShard)).then(function () {
        var outcome = evaluate(words);
        return results(outcome, limit).then(function (shown) {
          if (mine === run) show({query: query, outcome: outcome, limit: limit, shown: shown});
        });
      });
    })["catch"](function () {
      if (mine === run) setStatus(text("error"), false);
    });
  }

  function setStatus(message, busy) {
    clearTimeout(slow);
    status.textContent = message;
    if (busy) box.setAttribute("aria-busy", "true"); else box.removeAttribute("aria-busy");
  }

  function show(state) {
    current = state;
    while (list.firstChild) list.removeChild(list.firstChild);
    var more = box.querySelector(".search-more");
    if (more) more.parentNode.removeChild(more);
    if (!state) { setStatus("", false); return; }
    var total = state.outcome.total, shown = state.shown;
    var message = total === 0 ? text("none", {q: state.query.trim()})
      : total === 1 ? text("one") : text("many", {n: total});
    if (shown.length < total) message += " " + text("shown", {shown: shown.length});
    setStatus(message, false);
    shown.forEach(function (r) {
      var item = document.createElement("li"), link = document.createElement("a"), kind = document.createElement("span");
      link.href = "../" + r.path;
      link.textContent = r.title;
      kind.className = "search-kind";
      kind.textContent = r.kind;
      item.appendChild(link);
      item.appendChild(document.createTextNode(" "));
      item.appendChild(kind);
      if (r.context) {
        item.appendChild(document.createTextNode(" "));
        var where = document.createElement("span");
        where.className = "search-context";
        where.textContent = r.context;
        item.appendChild(where);
      }
      list.appendChild(item);
    });
    if (shown.length < total) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "search-more";
      button.textContent = text("more");
      button.addEventListener("click", function () {
        var first = shown.length;
        search(state.query, state.limit + PAGE).then(function () {
          var links = list.querySelectorAll("a");  // the reader goes on from the first new result
          if (current && current.query === state.query && links[first]) links[first].focus();
        });
      });
      box.appendChild(button);
    }
  }

  function queryFromUrl() {
    var parts = location.search.replace(/^\?/, "").split("&");
    for (var i = 0; i < parts.length; i++) {
      var pair = parts[i].split("=");
      if (pair[0] === "q" && pair.length > 1) {
        try { return decodeURIComponent(pair.slice(1).join("=").replace(/\+/g, " ")); } catch (e) { return ""; }
      }
    }
    return "";
  }

  function remember(query) {
    if (!window.history || !history.replaceState) return;
    var url = location.pathname + (query ? "?q=" + encodeURIComponent(query).replace(/%20/g, "+") : "");
    history.replaceState(null, "", url);
  }

  var timer = null;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { remember(input.value); search(input.value, PAGE); }, 250);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearTimeout(timer);
    remember(input.value);
    search(input.value, PAGE);
  });

  var initial = queryFromUrl();
  if (initial) {
    input.value = initial;
    search(initial, PAGE);
  }
})();
