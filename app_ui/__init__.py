"""What the app's pages share: caches, session keys, URL parameters, the engine accessor
(:mod:`app_ui.shared`) and the lab's panels (:mod:`app_ui.lab_parts`). The page scripts live in
``views/``, not in a folder named ``pages/``, which Streamlit would also run as old-style pages
(a fresh server's first deep link ran the page alone, without ``app.py``)."""
