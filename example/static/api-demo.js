// Calls the JSON API the way a single-page app would, and shows exactly what came back:
// the session as JSON, or the extension's JSON 401 once the session is gone.
"use strict";

async function callApi() {
  const result = document.getElementById("api-result");
  const status = document.getElementById("api-status");
  result.textContent = "Loading…";
  result.removeAttribute("data-status");
  try {
    const response = await fetch(result.dataset.url, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      cache: "no-store",
    });
    const body = await response.json();
    status.textContent = `HTTP ${response.status}`;
    status.className = `badge ${response.ok ? "ok" : "bad"}`;
    result.textContent = JSON.stringify(body, null, 2);
    result.dataset.status = String(response.status);
  } catch (error) {
    status.textContent = "request failed";
    status.className = "badge bad";
    result.textContent = String(error);
    result.dataset.status = "error";
  }
}

document.getElementById("api-call").addEventListener("click", callApi);
callApi();
