/**
 * Getting what a ControlNet needs, from the catalogue: the ControlNet of a control type, and the base
 * model with the UNet that takes its residuals (layout c). Each is offered only as what it is: a
 * build that does not run on this machine's providers is named as such, never downloaded blindly.
 */
import path from 'node:path';
import * as vscode from 'vscode';
import { addControlNetFolder, configuredModel } from '../config/settings';
import { controlTypeName } from '../../host/errors/userMessage';
import { controlNetBases, controlNetsFor, loadCatalogue, offerFor, type CatalogueEntry } from '../../host/models/catalogue';
import { hasControlNetUnet, thisMachineProviders } from '../../host/models/machine';
import { formatBytes } from '../../host/models/units';
import { catalogueFile, offerCatalogueModel, type ModelDeps } from './manageModels';

const HOW_TO = 'How to get a model';
const SETTINGS = 'Open Settings';

/** Says plainly that the catalogue's builds of `what` do not run here, with the ways forward. */
async function notForThisMachine(entries: readonly CatalogueEntry[], what: string, providers: readonly string[]): Promise<void> {
  const builds = [...new Set(entries.flatMap((e) => e.providers))].join(', ');
  const choice = await vscode.window.showWarningMessage(
    entries.length === 0
      ? `Atelier: the catalogue has no ${what}. Use ONNX ControlNets of your own (a base model with controlnet/model.onnx and ControlNet folders in atelier.controlNetFolders), or a fused UNet+ControlNet export.`
      : `Atelier: the catalogue's ${what} (${entries.map((e) => e.name).join('; ')}) runs on ${builds} only, and this machine offers ${providers.join(', ')}. No ControlNet set in the catalogue runs on the CPU yet: use ONNX ControlNets of your own (a base model with controlnet/model.onnx and ControlNet folders in atelier.controlNetFolders), or a fused UNet+ControlNet export.`,
    HOW_TO,
    SETTINGS,
  );
  if (choice === HOW_TO) await vscode.commands.executeCommand('atelier.howToGetModel');
  if (choice === SETTINGS) await vscode.commands.executeCommand('workbench.action.openSettings', 'atelier.controlNetFolders');
}

async function pick(entries: readonly CatalogueEntry[], title: string): Promise<CatalogueEntry | undefined> {
  if (entries.length <= 1) return entries[0];
  const chosen = await vscode.window.showQuickPick(
    entries.map((entry) => ({ label: entry.name, description: `~${formatBytes(entry.sizeBytes)} · ${entry.providers.join(', ')}`, detail: entry.notes, entry })),
    { title },
  );
  return chosen?.entry;
}

/** Downloads a catalogue base model with a ControlNet UNet and makes it the model. */
export async function getControlNetBase(deps: ModelDeps): Promise<string | undefined> {
  const catalogue = loadCatalogue(catalogueFile(deps.context));
  const providers = thisMachineProviders(deps.context.extensionPath);
  const offer = offerFor(controlNetBases(catalogue), providers);
  if (offer.kind !== 'offer') {
    await notForThisMachine(offer.kind === 'notHere' ? offer.entries : [], 'models with a ControlNet UNet', providers);
    return undefined;
  }
  const entry = await pick(offer.entries, 'Atelier: a model with a ControlNet UNet');
  return entry ? offerCatalogueModel(deps, entry, true) : undefined;
}

/** After a ControlNet is installed: does the configured model have the UNet it needs? Offers its base if not. */
async function checkBase(deps: ModelDeps, entry: CatalogueEntry, catalogue: readonly CatalogueEntry[]): Promise<void> {
  const type = controlTypeName(entry.controlType);
  const model = configuredModel(deps.context);
  if (model && hasControlNetUnet(model.dir)) {
    void vscode.window.showInformationMessage(`Atelier will use ${entry.name} for ${type} control inputs.`);
    return;
  }
  const base = catalogue.find((e) => e.id === entry.base);
  const download = base ? `Download ${base.name} (~${formatBytes(base.sizeBytes)})…` : undefined;
  const choice = await vscode.window.showInformationMessage(
    `Atelier will use ${entry.name} for ${type} control inputs. It runs with a model that has a ControlNet UNet (controlnet/model.onnx), and ${model ? `${path.basename(model.dir)} has none` : 'no model is set'}.`,
    ...(download ? [download] : []),
  );
  if (base && choice === download) await offerCatalogueModel(deps, base, true);
}

/**
 * Downloads a catalogue ControlNet into atelier.controlNetFolders: the entry `entryId`, else one of
 * `type` (the user picks when several fit), then checks the model can run it.
 */
export async function getControlNet(deps: ModelDeps, type?: string, entryId?: string): Promise<string | undefined> {
  const catalogue = loadCatalogue(catalogueFile(deps.context));
  const providers = thisMachineProviders(deps.context.extensionPath);
  const chosen = catalogue.find((e) => e.kind === 'controlnet' && e.id === entryId);
  const offer = offerFor(chosen ? [chosen] : controlNetsFor(catalogue, type), providers);
  if (offer.kind === 'none') {
    const choice = await vscode.window.showInformationMessage(
      `Atelier: the catalogue has no ${controlTypeName(type)} ControlNet. Download one by its repo id (Manage Models), or add a folder you have to atelier.controlNetFolders.`,
      'Manage Models',
      SETTINGS,
    );
    if (choice === 'Manage Models') await vscode.commands.executeCommand('atelier.manageModels');
    if (choice === SETTINGS) await vscode.commands.executeCommand('workbench.action.openSettings', 'atelier.controlNetFolders');
    return undefined;
  }
  if (offer.kind === 'notHere') {
    await notForThisMachine(offer.entries, `${controlTypeName(type ?? chosen?.controlType)} ControlNet`, providers);
    return undefined;
  }
  const entry = await pick(offer.entries, `Atelier: a ${controlTypeName(type)} ControlNet`);
  if (!entry) return undefined;
  const dir = await offerCatalogueModel(deps, entry, false);
  if (!dir) return undefined;
  await addControlNetFolder(dir);
  await checkBase(deps, entry, catalogue);
  return dir;
}
