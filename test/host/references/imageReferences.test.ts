import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findImageReferences, syntaxOfLanguage } from '../../../src/host/references/imageReferences';
import { candidateFiles, missingFile, suggestedPrompt, suggestedSize, wordsOfFileName } from '../../../src/host/references/missingImage';

const paths = (text: string, syntax: 'markdown' | 'markup' | 'css'): string[] => findImageReferences(text, syntax).map((r) => r.path);

describe('image references in source files', () => {
  it('Markdown images, with alt text and titles, and the exact range of the path', () => {
    const text = '# Home\n\n![A lighthouse at dusk](img/hero.png "Hero")\n![](<my pics/logo.webp>)\n';
    const refs = findImageReferences(text, 'markdown');
    expect(refs.map((r) => r.path)).toEqual(['img/hero.png', 'my pics/logo.webp']);
    expect(refs[0].alt).toBe('A lighthouse at dusk');
    expect(text.slice(refs[0].start, refs[0].end)).toBe('img/hero.png');
    expect(text.slice(refs[1].start, refs[1].end)).toBe('my pics/logo.webp');
    expect(refs[1].alt).toBeUndefined();
  });

  it('HTML/JSX img and source tags: src, srcset, alt, numeric width and height', () => {
    const text = `<img alt="Team photo" src="/team.jpg" width="640" height='480px'>
<img src={'./icons/star.png'} />
<source srcset="a.webp 1x, b@2x.webp 2x">`;
    const refs = findImageReferences(text, 'markup');
    expect(refs.map((r) => r.path)).toEqual(['/team.jpg', './icons/star.png', 'a.webp', 'b@2x.webp']);
    expect(refs[0]).toMatchObject({ alt: 'Team photo', width: 640, height: 480 });
    for (const r of refs) expect(text.slice(r.start, r.end)).toBe(r.path);
  });

  it('CSS url() in all three quotings', () => {
    const text = `.a { background: url(bg.png) } .b { background: url("img/x.jpeg") } .c { mask: url('m.webp') }`;
    const refs = findImageReferences(text, 'css');
    expect(refs.map((r) => r.path)).toEqual(['bg.png', 'img/x.jpeg', 'm.webp']);
    for (const r of refs) expect(text.slice(r.start, r.end)).toBe(r.path);
  });

  it('never returns remote, inline, templated or non-image references, and strips queries', () => {
    const text = `![r](https://example.com/a.png) ![p](//cdn/a.png) ![d](data:image/png;base64,AAA) ![g](anim.gif) ![s](icon.svg) ![q](ok.png?v=3#x)
<img src={logo}> <img src="\${base}/x.png"> <img src="http://x/y.jpg">`;
    expect(paths(text, 'markdown')).toEqual(['ok.png']);
  });

  it('knows the languages it reads and no others', () => {
    expect(syntaxOfLanguage('markdown')).toBe('markdown');
    expect(syntaxOfLanguage('typescriptreact')).toBe('markup');
    expect(syntaxOfLanguage('scss')).toBe('css');
    expect(syntaxOfLanguage('typescript')).toBeUndefined();
  });
});

describe('what to generate for a missing image', () => {
  const root = path.resolve('/ws');
  const context = (existing: string[]) => ({ documentDir: path.join(root, 'docs'), workspaceRoot: root, exists: (f: string) => existing.includes(f) });

  it('a relative path is resolved against the document; an existing file is not missing', () => {
    const [ref] = findImageReferences('![x](img/a.png)', 'markdown');
    expect(missingFile(ref, context([]))).toBe(path.join(root, 'docs', 'img', 'a.png'));
    expect(missingFile(ref, context([path.join(root, 'docs', 'img', 'a.png')]))).toBeUndefined();
  });

  it('a root-relative path is looked for under public/ and static/, and created in public/ when the project has one', () => {
    const [ref] = findImageReferences('<img src="/logo.png">', 'markup');
    expect(candidateFiles(ref, context([]))).toEqual([path.join(root, 'public', 'logo.png'), path.join(root, 'static', 'logo.png'), path.join(root, 'logo.png')]);
    expect(missingFile(ref, context([path.join(root, 'public', 'logo.png')]))).toBeUndefined();
    expect(missingFile(ref, context([path.join(root, 'public')]))).toBe(path.join(root, 'public', 'logo.png'));
    expect(missingFile(ref, context([]))).toBe(path.join(root, 'logo.png'));
  });

  it('a path that leaves the workspace is never offered', () => {
    const [ref] = findImageReferences('![x](../../outside.png)', 'markdown');
    expect(missingFile(ref, context([]))).toBeUndefined();
  });

  it('the prompt comes from the alt text, else the heading above plus the file name, else the file name', () => {
    const text = '# Pricing\n\n## Happy customers\n\n![](img/team-photo_2x.png)\n![Sunset over hills](s.png)';
    const [noAlt, withAlt] = findImageReferences(text, 'markdown');
    expect(suggestedPrompt(withAlt, text, 'markdown')).toBe('Sunset over hills');
    expect(suggestedPrompt(noAlt, text, 'markdown')).toBe('team photo, Happy customers');
    expect(wordsOfFileName('hero-banner@2x.png')).toBe('hero banner');
    const [css] = findImageReferences('a{background:url(night-sky.jpg)}', 'css');
    expect(suggestedPrompt(css, '', 'css')).toBe('night sky');
  });

  it('the size is taken only when both sides are usable as written (never rounded)', () => {
    const [good, odd, half] = findImageReferences('<img src="a.png" width="640" height="384"><img src="b.png" width="300" height="200"><img src="c.png" width="512">', 'markup');
    expect(suggestedSize(good)).toEqual({ width: 640, height: 384 });
    expect(suggestedSize(odd)).toBeUndefined();
    expect(suggestedSize(half)).toBeUndefined();
  });
});
