// The checkpoint's one script. A page that sets data-refresh on <body> reloads
// every that many seconds to show new plate reads and analyzer results, unless
// the operator is typing. auto=1: a refresh is not activity (the idle timeout runs on).
(() => {
  const every = Number(document.body.dataset.refresh || 0);
  if (!every) return;
  let dirty = false;
  document.addEventListener("input", () => { dirty = true; });
  setInterval(() => {
    if (dirty || document.querySelector("input:focus,select:focus")) return;
    const u = new URL(location.href);
    u.searchParams.set("auto", "1");
    location.replace(u);
  }, every * 1000);
})();
