/** Root layout: system fonts, light/dark from the system setting (CSS variables), the top bar and the store provider. */
import type { Metadata, Viewport } from 'next';
import Link from 'next/link';
import type { ReactNode } from 'react';
import { ConnectionBanner } from '@/components/panels/connection-banner';
import { ConnectionStatus } from '@/components/panels/connection-status';
import { ShortcutsHelp } from '@/components/panels/shortcuts';
import { LayerwatchProvider } from '@/store/provider';
import './globals.css';
import './overview.css';

export const metadata: Metadata = {
  title: { default: 'Layerwatch', template: '%s · Layerwatch' },
  description: 'Live SVCCA convergence, concept emergence and training scalars while a network trains; replay and compare past runs',
};

export const viewport: Viewport = {
  colorScheme: 'light dark',
  themeColor: [
    { media: '(prefers-color-scheme: light)', color: '#f7f8fa' },
    { media: '(prefers-color-scheme: dark)', color: '#101318' },
  ],
};

/** The page shell shared by every route. */
export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <LayerwatchProvider>
          <header className="topbar">
            <Link href="/" className="brand">
              <span className="brand-mark" aria-hidden="true" />
              Layerwatch
            </Link>
            <nav aria-label="Main">
              <Link href="/">Runs</Link>
              <Link href="/compare">Compare</Link>
            </nav>
            <span className="topbar-spacer" />
            <ConnectionStatus />
          </header>
          <ConnectionBanner />
          <main className="main">{children}</main>
          <ShortcutsHelp />
        </LayerwatchProvider>
      </body>
    </html>
  );
}
