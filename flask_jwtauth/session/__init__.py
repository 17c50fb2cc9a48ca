"""The session of one request: one cookie (:mod:`.cookie`), one gate every source of claims
passes (:mod:`.gate`), an engine that loads, resolves and saves (:mod:`.engine`), and the
small parts that act after a request (:mod:`.notice`, :mod:`.migration`)."""
