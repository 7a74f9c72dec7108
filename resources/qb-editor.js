/*
 * Shared editor helpers for @qbsync/node-red-quickbooks, loaded by each node's edit dialog from
 * resources/@qbsync/node-red-quickbooks/qb-editor.js. Admin calls use relative URLs (no leading "/")
 * so the editor adds httpAdminRoot and the access token.
 */
(function () {
  'use strict';
  if (window.QBSync) return;

  function t(key) {
    return RED._('@qbsync/node-red-quickbooks/qb-rule:qb-rule.test.' + key.replace(/^test\./, ''));
  }

  function pretty(value) {
    return value === undefined ? t('test.noResult') : JSON.stringify(value, null, 2);
  }

  /**
   * Turns <input id="node-input-<field>"> into a JSONata typedInput (its expand button opens Node-RED's
   * expression editor), pre-filled with the default rule from rules/, plus a panel that tests the rule
   * server-side (POST qbsync/rules/test) against the rule's sample or pasted JSON.
   * options: { field, ruleName: function () -> string, container: selector }
   */
  function ruleField(options) {
    var input = $('#node-input-' + options.field);
    input.typedInput({ types: ['jsonata'] });
    var panel = $(options.container).addClass('qb-rule-panel');
    panel.empty();
    var buttons = $('<div class="form-row" style="display:flex; gap:6px;"></div>').appendTo(panel);
    var reset = $('<button type="button" class="red-ui-button red-ui-button-small"></button>')
      .text(t('test.reset')).appendTo(buttons);
    var test = $('<button type="button" class="red-ui-button red-ui-button-small"></button>')
      .text(t('test.run')).appendTo(buttons);
    $('<label style="width:auto"></label>').text(t('test.sample')).appendTo(panel);
    var sample = $('<textarea class="qb-rule-sample" rows="8" style="width:100%; font-family:monospace;"></textarea>')
      .appendTo(panel);
    var result = $('<pre class="qb-rule-result" style="max-height:200px; overflow:auto; white-space:pre-wrap;"></pre>')
      .appendTo(panel);

    // An <input> drops line breaks from its value; like Node-RED's own JSONata typedInput (whose
    // expression editor maps tabs back to line breaks), keep a multi-line rule's line breaks as tabs.
    function oneLine(source) {
      return String(source).replace(/\r?\n/g, '\t');
    }

    function loadDefault(overwrite) {
      var name = options.ruleName();
      if (!name) return;
      $.getJSON('qbsync/rules/' + encodeURIComponent(name)).done(function (rule) {
        if (overwrite || !input.typedInput('value')) input.typedInput('value', oneLine(rule.source));
        if (overwrite || !sample.val()) sample.val(rule.samples && rule.samples[0] ? pretty(rule.samples[0].input) : '{}');
      });
    }

    reset.on('click', function () { loadDefault(true); });
    test.on('click', function () {
      result.removeClass('qb-rule-error').text(t('test.running'));
      $.ajax({
        url: 'qbsync/rules/test',
        method: 'POST',
        contentType: 'application/json',
        data: JSON.stringify({ name: options.ruleName(), expression: input.typedInput('value'), sample: sample.val() }),
      }).done(function (outcome) {
        if (outcome.ok) result.css('color', '').text(pretty(outcome.result));
        else result.addClass('qb-rule-error').css('color', '#c00').text(outcome.error.message);
      }).fail(function (xhr) {
        var body = xhr.responseJSON;
        result.addClass('qb-rule-error').css('color', '#c00').text(body && body.error ? body.error.message : xhr.statusText);
      });
    });
    loadDefault(false);
    return { reload: function () { loadDefault(true); } };
  }

  /**
   * The connection rows every QuickBooks node has: an edition select (Online | Desktop) that shows the
   * matching config-node input (#node-input-qbo: qbo-connection, #node-input-qbwc: qbwc-server).
   * Returns a function giving the current edition ('qbo' or 'qbd').
   */
  function connectionField(onChange) {
    var select = $('#node-input-edition');
    function show() {
      var qbd = select.val() === 'qbd';
      $('.qb-row-qbo').toggle(!qbd);
      $('.qb-row-qbwc').toggle(qbd);
      if (onChange) onChange(qbd ? 'qbd' : 'qbo');
    }
    select.on('change', show);
    show();
    return function () { return select.val() === 'qbd' ? 'qbd' : 'qbo'; };
  }

  window.QBSync = { ruleField: ruleField, connectionField: connectionField };
})();
