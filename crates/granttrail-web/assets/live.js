// Progressive touches; every page works without them.
// - The project list fetches its rows again when the server says a commit
//   happened (Server-Sent Events), keeping the filters.
// - Instants are shown in the viewer's time zone.
// - A slider moves through a project's versions.
"use strict";

(function () {
  const table = document.querySelector("table[data-live]");
  if (table && window.EventSource) {
    const source = new EventSource(table.dataset.live);
    let fetching = false;
    let again = false;
    const refresh = async () => {
      if (fetching) { again = true; return; }
      fetching = true;
      try {
        const url = new URL(location.href);
        url.searchParams.set("fragment", "rows");
        const answer = await fetch(url, { credentials: "same-origin" });
        if (answer.ok) {
          document.getElementById("project-rows").innerHTML = await answer.text();
          const count = Number(document.body.dataset.liveUpdates || 0) + 1;
          document.body.dataset.liveUpdates = String(count);
        }
      } finally {
        fetching = false;
        if (again) { again = false; refresh(); }
      }
    };
    source.addEventListener("open", () => { document.body.dataset.live = "open"; });
    // Only a commit after what the page shows: the log's own bookkeeping
    // repeats positions the list already reflects.
    source.addEventListener("changed", (event) => {
      const at = Number(event.data);
      if (at > Number(table.dataset.position || 0)) {
        table.dataset.position = String(at);
        refresh();
      }
    });
  }

  for (const time of document.querySelectorAll("time[datetime]")) {
    const instant = new Date(time.dateTime);
    if (!Number.isNaN(instant.getTime())) {
      time.title = time.dateTime;
      time.textContent = instant.toLocaleString(document.documentElement.lang);
    }
  }

  for (const input of document.querySelectorAll("input[data-slider]")) {
    const slider = document.createElement("input");
    slider.type = "range";
    slider.min = "1";
    slider.max = input.dataset.slider;
    slider.value = input.value;
    slider.setAttribute("aria-label", input.closest("label").textContent.trim());
    slider.addEventListener("input", () => { input.value = slider.value; });
    slider.addEventListener("change", () => { input.form.submit(); });
    input.addEventListener("input", () => { slider.value = input.value; });
    input.after(slider);
  }
})();
