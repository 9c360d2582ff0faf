// Starts Decap CMS with sitegen's configuration: config.json (made from the news contract) with the
// place picker's choices filled in from wilayah.json, both published next to this page.
(function () {
  "use strict";

  function load(name) {
    return fetch(name, { cache: "no-cache" }).then(function (response) {
      if (!response.ok) {
        throw new Error(name + ": HTTP " + response.status);
      }
      return response.json();
    });
  }

  function show(message) {
    var box = document.getElementById("admin-problem");
    box.textContent = message;
    box.hidden = false;
  }

  var local = location.hostname === "localhost" || location.hostname === "127.0.0.1";
  Promise.all([load("config.json"), load("wilayah.json")]).then(function (loaded) {
    var config = loaded[0];
    var choices = loaded[1].map(function (region) {
      return { value: region[0], label: region[1] };
    });
    config.collections.forEach(function (collection) {
      collection.fields.forEach(function (field) {
        if (field.name === "places") {
          field.options = choices;
        }
      });
    });
    if (!config.backend.repo && !local) {
      show("Halaman penyunting belum diatur: isi admin.repo di data/site.yaml (lihat docs/editing.md).");
      return;
    }
    if (!config.backend.repo) {
      config.backend.repo = "lokal/situs";  // on this computer decap-server edits the checkout instead
    }
    document.getElementById("admin-loading").hidden = true;
    window.CMS.init({ config: config });
  }).catch(function (error) {
    show("Halaman penyunting tidak dapat dimuat: " + error.message);
  });
})();
