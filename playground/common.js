// What both views of the playground share: JSON posts, the Escape key that closes an open
// modal or dialog (as Slack and Teams do), the "Run digest now" button, and polling.
async function post(path, body) {
  const response = await fetch(path, {method: "POST", headers: {"Content-Type": "application/json"},
                                      body: JSON.stringify(body)});
  return response.json();
}
function closeOnEscape(close) {
  document.addEventListener("keydown", async event => {
    if (event.key === "Escape" && document.getElementById("overlay").classList.contains("open")) {
      event.preventDefault();
      await close();
    }
  });
}
function runDigestButton(path, refresh) {
  document.getElementById("digest").addEventListener("click", async () => {
    const answer = await post(path, {});
    document.getElementById("status").textContent = answer.result;
    refresh();
  });
}
// Every 700 ms; a ?poll=MS query parameter (50 ms at least) changes that, for tests.
function poll(refresh) {
  const asked = Number(new URLSearchParams(location.search).get("poll"));
  refresh();
  setInterval(refresh, asked >= 50 ? asked : 700);
}
