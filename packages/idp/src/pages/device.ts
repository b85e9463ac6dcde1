import type { Configuration } from 'oidc-provider';
import { escapeHtml } from './html.js';
import { page } from './templates.js';

type DeviceFlow = NonNullable<NonNullable<Configuration['features']>['deviceFlow']>;
type DevicePages = Required<
  Pick<DeviceFlow, 'userCodeInputSource' | 'userCodeConfirmSource' | 'successSource'>
>;

/**
 * The pages of the device authorization grant's verification URI (RFC 8628 §3.3), in the dev
 * IdP's look with its development-only banner instead of oidc-provider's unstyled defaults.
 * `form` is oidc-provider's own markup (action URL, anti-CSRF token, code field; it escapes what
 * it interpolates) and goes in as given; every value interpolated here is escaped.
 */
export const devicePages: DevicePages = {
  userCodeInputSource(ctx, form, _out, err) {
    // The wording of oidc-provider's defaults; which error it was is not shown to the user.
    let message = '<p>Enter the code displayed on your device.</p>';
    if (err && ('userCode' in err || err.name === 'NoCodeError')) {
      message = alert('The code you entered is incorrect. Try again.');
    } else if (err?.name === 'AbortedError') {
      message = alert('The sign-in request was interrupted.');
    } else if (err) {
      message = alert('There was an error processing your request.');
    }
    ctx.type = 'html';
    ctx.body = page(
      'Device login',
      `<h1>Device login</h1>${message}${form}
<button id="kc-device-continue" type="submit" form="op.deviceInputForm">Continue</button>`,
    );
  },

  userCodeConfirmSource(ctx, form, client, _deviceInfo, userCode) {
    ctx.type = 'html';
    ctx.body = page(
      'Confirm device',
      `<h1>Confirm device</h1>
<p><strong>${escapeHtml(client.clientId)}</strong> asks to sign in. Your device should show this code:</p>
<p class="code"><code>${escapeHtml(userCode)}</code></p>
<p>If it does not, or you did not start this sign-in, abort.</p>${form}
<button id="kc-device-confirm" type="submit" form="op.deviceConfirmForm">Continue</button>
<button id="kc-device-abort" type="submit" form="op.deviceConfirmForm" name="abort" value="yes" class="secondary">Abort</button>`,
    );
  },

  successSource(ctx) {
    const clientId = ctx.oidc.client?.clientId;
    ctx.type = 'html';
    ctx.body = page(
      'Device login successful',
      `<h1>Device login successful</h1>
<p>You signed in${clientId ? ` to <strong>${escapeHtml(clientId)}</strong>` : ''}. You can close this page and return to your device.</p>`,
    );
  },
};

function alert(text: string): string {
  return `<p class="error" role="alert">${escapeHtml(text)}</p>`;
}
