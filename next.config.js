/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // The custom server (server/main.ts) owns the HTTP listener and the two websocket endpoints.
  // Server-only modules are never bundled into pages.
  serverExternalPackages: ['ws'],
  typescript: { ignoreBuildErrors: false },
};
export default nextConfig;
