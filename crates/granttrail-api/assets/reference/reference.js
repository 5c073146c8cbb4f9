// Fetches the OpenAPI document with the token the reader gives, and shows
// it in RapiDoc with that token set for "try it". The token stays in this
// page: it is not stored anywhere.
"use strict";

document.getElementById("sign-in").addEventListener("submit", async (event) => {
  event.preventDefault();
  const token = document.getElementById("token").value.trim();
  const status = document.getElementById("status");
  status.textContent = "";
  const answer = await fetch("/api/v1/openapi.json", {
    headers: { Authorization: `Bearer ${token}` },
  });
  if (!answer.ok) {
    const problem = await answer.json().catch(() => ({}));
    status.textContent = problem.detail || `the server answered ${answer.status}`;
    return;
  }
  const spec = await answer.json();
  const reference = document.getElementById("reference");
  await customElements.whenDefined("rapi-doc");
  await reference.loadSpec(spec);
  reference.setApiKey("bearer", token);
  document.body.dataset.loaded = "true";
});
