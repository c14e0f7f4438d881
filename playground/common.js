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
function poll(refresh) { refresh(); setInterval(refresh, 700); }
