// Every word the page shows goes through i18next. Keys are the English text (so English needs
// no table and a missing translation falls back to English); src/locales/de.json holds German.
// The language comes from the browser (navigator.languages), and the document's lang follows,
// so screen readers pronounce it right. Amplify's sign-in form gets its own German table.
import { I18n } from 'aws-amplify/utils';
import { translations } from '@aws-amplify/ui';
import i18n from 'i18next';
import LanguageDetector from 'i18next-browser-languagedetector';
import { initReactI18next } from 'react-i18next';

import de from './locales/de.json';

export const LANGUAGES = ['en', 'de'] as const;

/** Marks a string as a translation key used later through t(variable) (found by the key check). */
export function i18nKey<T extends string>(key: T): T {
  return key;
}

void i18n
  .use(LanguageDetector)
  .use(initReactI18next)
  .init({
    resources: { de: { translation: de } },
    fallbackLng: 'en',
    supportedLngs: LANGUAGES,
    nonExplicitSupportedLngs: true,
    load: 'languageOnly',
    keySeparator: false,
    nsSeparator: false,
    interpolation: { escapeValue: false }, // React escapes
    detection: { order: ['querystring', 'navigator'], lookupQuerystring: 'lang', caches: [] },
    returnEmptyString: false,
  });

function follow(language: string): void {
  const short = language.split('-')[0];
  document.documentElement.lang = short;
  I18n.putVocabularies(translations);
  I18n.setLanguage(short);
}

follow(i18n.resolvedLanguage ?? i18n.language ?? 'en');
i18n.on('languageChanged', follow);

export default i18n;
