// A page on the real next-auth/react of Auth.js v5 (next-auth@5.0.0-beta.32), bundled by
// esbuild for tests/e2e/test_next_auth_v5.py, as tests/nextauth_client/page.jsx is for v4:
// useSession() under a SessionProvider whose basePath is the Flask app's Auth.js API, and
// the client functions on window for the test to call as an app's code would.
import React from "react";
import { createRoot } from "react-dom/client";
import {
  SessionProvider,
  getCsrfToken,
  getProviders,
  getSession,
  signIn,
  signOut,
  useSession,
} from "next-auth/react";

function Status() {
  const { data, status, update } = useSession();
  window.nextAuthUpdate = update;
  return (
    <div>
      <p id="status">{status}</p>
      <pre id="session">{JSON.stringify(data ?? null)}</pre>
    </div>
  );
}

window.nextAuth = { getCsrfToken, getProviders, getSession, signIn, signOut };
createRoot(document.getElementById("root")).render(
  <SessionProvider basePath={window.NEXTAUTH_BASE_PATH} refetchOnWindowFocus={false}>
    <Status />
  </SessionProvider>,
);
