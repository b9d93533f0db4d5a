"""Several browser sessions opening one page of a running app at once, as the first visitors of
a fresh server do; prints how many saw "This app has encountered an error".

Run: streamlit run app.py --server.port 8644 &   then, right away:
     python bench/concurrent_visitors.py "http://localhost:8644/lab?user=U0903" 8

Drives Debian's Chromium (/usr/bin/chromium) through Playwright; waits 60 s for the pages.
"""
import sys

from playwright.sync_api import sync_playwright

N = int(sys.argv[2]) if len(sys.argv) > 2 else 8
url = sys.argv[1]
with sync_playwright() as p:
    b = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
    pages = [b.new_context().new_page() for _ in range(N)]
    for pg in pages:
        pg.goto(url, wait_until="commit")
    pages[0].wait_for_timeout(60000)
    bad = 0
    for i, pg in enumerate(pages):
        ex = pg.locator("[data-testid='stException']").all_inner_texts()
        txt = pg.inner_text("body")[:20000]
        err = ex or ("encountered an error" in txt)
        bad += bool(err)
        if err:
            print(i, (ex[0] if ex else txt)[:300].replace("\n", " "))
    print(f"{bad} of {N} sessions failed")
    b.close()
