// The home page: run SPARQL from the editor and named queries from their forms; show tables.
// No libraries and no network beyond this server, so it works offline.
"use strict";

(function () {
  const editor = document.getElementById("editor");
  const base = editor.dataset.base;
  const root = editor.dataset.root || "";
  const query = document.getElementById("query");
  const status = document.getElementById("status");
  const examples = JSON.parse(document.getElementById("examples").textContent);

  const ontology = editor.dataset.ontology;

  // A minted IRI opens its page on this site; any other IRI is an ordinary link.
  function href(iri) {
    return iri.startsWith(base) && !iri.startsWith(ontology)
      ? root + "/" + iri.slice(base.length)
      : iri;
  }

  // Registry codes show as their code (PHASE2), minted IRIs by their path, others in full.
  function label(iri) {
    if (iri.startsWith(ontology)) return iri.slice(ontology.length).replace(/^[A-Za-z]+-/, "");
    return iri.startsWith(base) ? iri.slice(base.length) : iri;
  }

  function cell(value) {
    const td = document.createElement("td");
    if (value === undefined || value === null) return td;
    const isIri = typeof value === "object" ? value.type === "uri" : /^https?:\/\//.test(value);
    const text = typeof value === "object" ? value.value : String(value);
    if (isIri) {
      const a = document.createElement("a");
      a.href = href(text);
      a.textContent = label(text);
      td.appendChild(a);
    } else {
      td.textContent = text;
    }
    return td;
  }

  // variables: column names; rows: objects keyed by them (SPARQL JSON terms or plain values)
  function table(target, variables, rows) {
    target.replaceChildren();
    const count = document.createElement("p");
    count.className = "count";
    count.textContent = rows.length + (rows.length === 1 ? " row" : " rows");
    target.appendChild(count);
    if (!rows.length) return;
    const t = document.createElement("table");
    t.className = "rows";
    const head = t.createTHead().insertRow();
    for (const v of variables) {
      const th = document.createElement("th");
      th.textContent = v;
      head.appendChild(th);
    }
    const body = t.createTBody();
    for (const row of rows) {
      const tr = body.insertRow();
      for (const v of variables) tr.appendChild(cell(row[v]));
    }
    const wrap = document.createElement("div");
    wrap.className = "scroll";
    wrap.appendChild(t);
    target.appendChild(wrap);
  }

  function failure(target, message) {
    target.replaceChildren();
    const p = document.createElement("pre");
    p.className = "error";
    p.textContent = message;
    target.appendChild(p);
  }

  async function runSparql() {
    const results = document.getElementById("results");
    status.textContent = "Running…";
    const started = performance.now();
    try {
      const response = await fetch(editor.dataset.endpoint, {
        method: "POST",
        headers: {
          "Content-Type": "application/x-www-form-urlencoded",
          Accept: "application/sparql-results+json",
        },
        body: new URLSearchParams({ query: query.value }),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(text || response.statusText);
      const answer = JSON.parse(text);
      if ("boolean" in answer) {
        table(results, ["answer"], [{ answer: String(answer.boolean) }]);
      } else {
        table(results, answer.head.vars, answer.results.bindings);
      }
      status.textContent = "Done in " + Math.round(performance.now() - started) + " ms";
    } catch (err) {
      failure(results, err.message);
      status.textContent = "Failed";
    }
  }

  async function runNamed(form) {
    const target = form.parentElement.querySelector(".results");
    const params = new URLSearchParams();
    for (const input of form.querySelectorAll("input")) {
      if (input.value.trim() !== "") params.set(input.name, input.value.trim());
    }
    try {
      const response = await fetch(form.dataset.action + "?" + params, {
        headers: { Accept: "application/json" },
      });
      const answer = await response.json();
      if (!response.ok) throw new Error(answer.message || response.statusText);
      table(target, answer.variables, answer.rows);
    } catch (err) {
      failure(target, err.message);
    }
  }

  document.getElementById("example").addEventListener("change", (event) => {
    const chosen = examples.find((e) => e.name === event.target.value);
    if (chosen) query.value = chosen.sparql;
  });
  document.getElementById("run").addEventListener("click", runSparql);
  query.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      runSparql();
    } else if (event.key === "Tab" && !event.shiftKey) {
      event.preventDefault();
      query.setRangeText("  ", query.selectionStart, query.selectionEnd, "end");
    }
  });
  for (const form of document.querySelectorAll("form.named-query")) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      runNamed(form);
    });
  }
})();
