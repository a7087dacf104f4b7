// Message text with its web addresses as links: http(s) only (never javascript: or data:),
// opened in a new tab with no opener, no referrer and no endorsement (nofollow).
const URL_PATTERN = /(https?:\/\/[^\s<>"]+)/g;
// Punctuation that ends a sentence rather than the address ("see https://x.example/a.").
const TRAILING = /[.,;:!?)\]'"]+$/;

export function LinkedText({ text }: { text: string }) {
  const parts = text.split(URL_PATTERN);
  return (
    <>
      {parts.map((part, index) => {
        if (index % 2 === 0) {
          return part;
        }
        const trailing = TRAILING.exec(part)?.[0] ?? '';
        const href = part.slice(0, part.length - trailing.length);
        return (
          <span key={index}>
            <a href={href} target="_blank" rel="noopener noreferrer nofollow">
              {href}
            </a>
            {trailing}
          </span>
        );
      })}
    </>
  );
}
